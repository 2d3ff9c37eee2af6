"""Check events -> JUDGE_CHECKS jobs, only for bot branches and the default branch."""

from __future__ import annotations

from typing import Any

import pytest

from bot.handlers.checks import ROUTES
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, JUDGE_CHECKS, Job

SHA = "e" * 40
BOT_BRANCH = "migration-bot/mig/core"
SETTINGS = Settings()


def payload(event: str, branch: str | None, **extra: Any) -> dict[str, Any]:
    """A trimmed delivery of `event` for SHA on `branch` (the fields GitHub sends that we read)."""
    body: dict[str, Any] = {
        "repository": {"full_name": "o/r", "default_branch": "main"},
        "installation": {"id": 42},
    }
    if event == "check_suite":
        body |= {"action": "completed", "check_suite": {"head_sha": SHA, "head_branch": branch}}
    elif event == "check_run":
        body |= {"action": "completed",
                 "check_run": {"head_sha": SHA, "check_suite": {"head_branch": branch}}}
    elif event == "workflow_run":
        body |= {"action": "completed", "workflow_run": {"head_sha": SHA, "head_branch": branch}}
    else:
        body |= {"sha": SHA, "state": "success", "branches": [{"name": branch}] if branch else []}
    return body | extra


def handle(event: str, body: dict[str, Any]) -> list[Job]:
    action = body.get("action") if event != "status" else None
    return ROUTES[(event, action)](body, SETTINGS)


EVENTS = ["check_suite", "check_run", "workflow_run", "status"]
JUDGE = [Job(JUDGE_CHECKS, {"repo": "o/r", "installation_id": 42, "sha": SHA}, EVENTS_QUEUE)]


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize(
    ("branch", "expected"),
    [(BOT_BRANCH, JUDGE), ("migration-bot/mig/core-revert", JUDGE), ("main", JUDGE),
     ("feature/x", []), (None, [])],
)
def test_finished_check_judges_bot_and_default_branches(event: str, branch: str | None,
                                                        expected: list[Job]) -> None:
    assert handle(event, payload(event, branch)) == expected


@pytest.mark.parametrize("state", ["pending", None])
def test_unfinished_status_gives_no_job(state: str | None) -> None:
    assert handle("status", payload("status", BOT_BRANCH, state=state)) == []


def test_status_on_several_branches_judges_once() -> None:
    body = payload("status", "feature/x", branches=[{"name": "feature/x"}, {"name": BOT_BRANCH}])
    assert handle("status", body) == JUDGE


def test_routes_cover_the_check_events() -> None:
    assert set(ROUTES) == {("check_suite", "completed"), ("check_run", "completed"),
                           ("workflow_run", "completed"), ("status", None)}
