"""Pull request and review events on bot PRs -> PULL_CLOSED / JUDGE_CHECKS jobs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.handlers.pulls import ROUTES
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, JUDGE_CHECKS, PULL_CLOSED, Job

SHA = "f" * 40
BOT_BRANCH = "migration-bot/mig/core"
SETTINGS = Settings()
IDS = {"repo": "o/r", "installation_id": 7}


def payload(action: str, ref: str = BOT_BRANCH, *, state: str = "open", merged: bool = False,
            head_repo: str = "o/r", review: str | None = None) -> dict[str, Any]:
    """A trimmed pull_request (or, with `review`, pull_request_review) delivery."""
    body: dict[str, Any] = {
        "action": action,
        "repository": {"full_name": "o/r", "default_branch": "main"},
        "installation": {"id": 7},
        "pull_request": {"number": 12, "state": state, "merged": merged,
                         "head": {"ref": ref, "sha": SHA, "repo": {"full_name": head_repo}}},
    }
    if review is not None:
        body["review"] = {"state": review}
    return body


CLOSED = [Job(PULL_CLOSED, {**IDS, "number": 12}, EVENTS_QUEUE)]
JUDGE = [Job(JUDGE_CHECKS, {**IDS, "sha": SHA}, EVENTS_QUEUE)]


@pytest.mark.parametrize(
    ("key", "body", "expected"),
    [
        (("pull_request", "closed"), payload("closed", state="closed", merged=True), CLOSED),
        (("pull_request", "closed"), payload("closed", state="closed"), CLOSED),
        (("pull_request", "closed"), payload("closed", "migration-bot/mig/core-revert", state="closed"), CLOSED),
        (("pull_request", "closed"), payload("closed", "feature/x", state="closed", merged=True), []),
        (("pull_request", "closed"), payload("closed", state="closed", head_repo="fork/r"), []),
        (("pull_request", "reopened"), payload("reopened"), JUDGE),
        (("pull_request", "synchronize"), payload("synchronize"), JUDGE),
        (("pull_request", "synchronize"), payload("synchronize", "feature/x"), []),
        (("pull_request", "synchronize"), payload("synchronize", state="closed"), []),
        (("pull_request_review", "submitted"), payload("submitted", review="approved"), JUDGE),
        (("pull_request_review", "submitted"), payload("submitted", review="APPROVED"), JUDGE),
        (("pull_request_review", "submitted"), payload("submitted", review="commented"), []),
        (("pull_request_review", "submitted"), payload("submitted", "feature/x", review="approved"), []),
    ],
)
def test_pull_events(key: tuple[str, str], body: dict[str, Any], expected: list[Job]) -> None:
    assert ROUTES[key](body, SETTINGS) == expected
