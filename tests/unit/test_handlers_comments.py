"""issue_comment deliveries -> RUN_COMMAND jobs: only commands, only on bot PRs, never from bots."""

from __future__ import annotations

from typing import Any

import pytest

from bot import markers
from bot.handlers.comments import ROUTES
from bot.routes import merge_tables
from bot.settings import Settings
from tests.payloads.build import build
from workers.contract import EVENTS_QUEUE, RUN_COMMAND, Job

SETTINGS = Settings()
BOT_LABELS = [{"name": markers.LABEL_BOT}, {"name": markers.campaign_label("mig")}]
HANDLER = ROUTES[("issue_comment", "created")]


def comment(body: str = "@migration-bot merge", **changes: Any) -> dict[str, Any]:
    """The recorded issue_comment.created on a bot PR (labelled), with `changes` (dotted paths) applied."""
    return build("issue_comment.created", {"issue.labels": BOT_LABELS, "comment.body": body, **changes})


def job(*verbs: str) -> list[Job]:
    kwargs = {"repo": "octo-org/widgets", "installation_id": 1, "number": 1, "comment_id": 1002,
              "author": "octocat", "commands": list(verbs)}
    return [Job(RUN_COMMAND, kwargs, EVENTS_QUEUE)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (comment(), job("merge")),
        (comment("@migration-bot rebase\n@migration-bot merge"), job("rebase", "merge")),
        (comment("@migration-bot retry\n@migration-bot retry"), job("retry")),  # one job, verbs once
        (comment("@migration-bot what"), job("unknown")),
        (comment("@migration-bot cancel merge"), job("cancel-merge")),
        (comment("LGTM"), []),
        (comment("> @migration-bot merge"), []),
        (comment(**{"issue.labels": []}), []),  # not a bot PR
        (build("issue_comment.created", {"issue.labels": BOT_LABELS, "issue.pull_request": None}), []),  # an issue
        (comment(**{"comment.user.type": "Bot", "sender.type": "Bot"}), []),  # the bot's own reply
        (comment(**{"comment.user.login": "renovate[bot]", "sender.login": "renovate[bot]"}), []),
        (comment(**{"comment.id": "1002"}), []),
    ],
)
def test_comment_created(body: dict[str, Any], expected: list[Job]) -> None:
    assert HANDLER(body, SETTINGS) == expected


def test_the_bot_name_comes_from_settings() -> None:
    renamed = Settings(bot_name="mig-bot")
    assert HANDLER(comment("@mig-bot skip"), renamed) == job("skip")
    assert HANDLER(comment(), renamed) == []


def test_only_new_comments_are_routed() -> None:
    """As with Dependabot: editing a comment into a command (or fixing a typo in one) runs nothing."""
    table = merge_tables([ROUTES])
    assert ("issue_comment", "created") in table
    assert ("issue_comment", "edited") not in table and ("issue_comment", None) not in table
