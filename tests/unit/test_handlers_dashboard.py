"""issues.edited deliveries -> DASHBOARD_EDITED jobs: only a person's edit of a dashboard, with the boxes ticked."""

from __future__ import annotations

from typing import Any

import pytest

from bot import markers
from bot.handlers.dashboard import ROUTES
from bot.routes import table
from bot.settings import Settings
from tests.payloads.build import build, load
from workers.contract import DASHBOARD_EDITED, EVENTS_QUEUE, Job

SETTINGS = Settings()
HANDLER = ROUTES[("issues", "edited")]
BOT_LABELS = [{"name": markers.LABEL_BOT}]


def edited(**changes: Any) -> dict[str, Any]:
    return build("issues.edited", {"issue.labels": BOT_LABELS, **changes})


def job(ticked: list[str], carried: str | None = None) -> list[Job]:
    kwargs = {"repo": "octo-org/widgets", "installation_id": 1, "number": 12, "campaign": "mig",
              "author": "octocat", "ticked": ticked, "carried_data": carried}
    return [Job(DASHBOARD_EDITED, kwargs, EVENTS_QUEUE)]


def test_the_route_is_in_the_table() -> None:
    assert table()[("issues", "edited")] is HANDLER


def test_a_ticked_box_becomes_a_job() -> None:
    assert HANDLER(edited(), SETTINGS) == job(["start:api"])


def test_a_text_edit_without_boxes_still_asks_for_a_restore() -> None:
    old = load("issues.edited")["changes"]["body"]["from"]
    payload = edited(**{"issue.body": old.replace("Steering", "My notes")})
    assert HANDLER(payload, SETTINGS) == job([])


def test_an_edit_that_removed_the_data_carries_it_over() -> None:
    old = load("issues.edited")["changes"]["body"]["from"]
    payload = edited(**{"issue.body": markers.dashboard_marker("mig")})
    assert HANDLER(payload, SETTINGS) == job([], markers.dashboard_data_comment(old))


def test_an_edit_that_removed_the_marker_is_found_by_the_old_body() -> None:
    assert HANDLER(edited(**{"issue.body": "gone"}), SETTINGS)[0].kwargs["campaign"] == "mig"


@pytest.mark.parametrize(
    "changes",
    [
        {"sender.type": "Bot"},  # the bot's own re-render
        {"sender.login": "migration-bot[bot]"},
        {"issue.labels": []},  # not the bot's issue
        {"issue.pull_request": {"url": "x"}},  # a PR's description
        {"changes": {}},  # labels or assignees changed: nothing to restore
        {"issue.body": "no marker", "changes": {"body": {"from": "none either"}}},
    ],
)
def test_ignored(changes: dict[str, Any]) -> None:
    assert HANDLER(edited(**changes), SETTINGS) == []


@pytest.mark.parametrize(
    ("before", "after", "ticked"),
    [
        ("- [ ] <!-- migration-bot:box pause --> P", "- [x] <!-- migration-bot:box pause --> P", ["pause"]),
        ("- [ ] <!-- migration-bot:box pause --> P", "- [X] <!-- migration-bot:box pause --> P", ["pause"]),
        ("- [x] <!-- migration-bot:box pause --> P", "- [x] <!-- migration-bot:box pause --> P", []),
        ("", "* [x] <!-- migration-bot:box start:a-b --> S", ["start:a-b"]),
        ("- [ ] <!-- migration-bot:box pause --> P", "- [ ] <!-- migration-bot:box pause --> P", []),
        ("", "- [x] pause", []),  # a box without the hidden id is a person's own
    ],
)
def test_newly_ticked(before: str, after: str, ticked: list[str]) -> None:
    assert markers.newly_ticked(before, after) == ticked
