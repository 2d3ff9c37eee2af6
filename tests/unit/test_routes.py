"""routes: one table merged from the handler modules; (event, action) first, then (event, None)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

import pytest

from bot import routes
from bot.settings import Settings
from workers.contract import START_CAMPAIGN, Job

SETTINGS = Settings(webhook_secret="s")
PUSH = {
    "ref": "refs/heads/main",
    "after": "a" * 40,
    "deleted": False,
    "repository": {"full_name": "o/r", "default_branch": "main"},
    "installation": {"id": 1},
    "commits": [{"id": "a" * 40, "distinct": True, "added": [".github/migrations/m.yml"], "modified": []}],
}


def _job(name: str) -> Any:
    def handler(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
        return [Job(name)]

    return handler


def test_every_module_table_is_in_the_merged_table() -> None:
    table = routes.table()
    for name in routes.HANDLER_MODULES:
        for key, handler in import_module(name).ROUTES.items():
            assert table[key] is handler


def test_known_routes() -> None:
    assert {
        ("push", None),
        ("ping", None),
        ("installation", None),
        ("installation_repositories", None),
    } <= set(routes.table())


def test_push_routes_to_the_campaign_handler() -> None:
    assert [job.task for job in routes.route("push", PUSH, SETTINGS)] == [START_CAMPAIGN]


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}),
        ("installation", {"action": "created", "installation": {"id": 1}}),
        ("installation", {"action": "deleted", "installation": {"id": 1}}),
        ("installation_repositories", {"action": "added", "repositories_added": [{"full_name": "o/r"}]}),
        ("star", {"action": "created"}),
        ("push", {"ref": "refs/heads/feature", "repository": {"full_name": "o/r", "default_branch": "main"}}),
    ],
)
def test_events_that_queue_nothing(event: str, payload: dict) -> None:
    assert routes.route(event, payload, SETTINGS) == []


def test_exact_action_wins_over_any_action() -> None:
    closed, any_action = _job("closed"), _job("any")
    table = {("pull_request", "closed"): closed, ("pull_request", None): any_action}
    assert routes.lookup(table, "pull_request", "closed") is closed
    assert routes.lookup(table, "pull_request", "opened") is any_action
    assert routes.lookup(table, "pull_request", ["not", "a", "string"]) is any_action
    assert routes.lookup(table, "pull_request", None) is any_action
    assert routes.lookup(table, "issue_comment", "created") is None


def test_merge_refuses_two_modules_claiming_one_route() -> None:
    with pytest.raises(ValueError, match=r"\('push', None\)"):
        routes.merge_tables([{("push", None): _job("a")}, {("push", None): _job("b")}])


def test_merge_keeps_distinct_routes() -> None:
    a, b = _job("a"), _job("b")
    assert routes.merge_tables([{("x", "1"): a}, {("x", None): b}]) == {("x", "1"): a, ("x", None): b}
