"""Comments on the bot's PRs: a maintainer's `@migration-bot <verb>` -> RUN_COMMAND (permission checked there).

Only new comments count (`issue_comment.created`), as with Dependabot: editing an old comment into a
command, or a typo fix in one, must not run it (again). Comments by bots are ignored, so the bot's own
replies (which list the commands) can never trigger it, nor can two bots talk each other into a loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import markers
from bot.commands import parse_commands
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, RUN_COMMAND, Job


def _label_names(issue: Mapping[str, Any]) -> set[str]:
    return {label.get("name") for label in issue.get("labels") or () if isinstance(label, Mapping)}


def _is_bot(user: object) -> bool:
    return isinstance(user, Mapping) and (user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]"))


def issue_comment_created(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """One RUN_COMMAND for a command comment on a bot PR (an issue with a `pull_request` key and the bot's
    label: the payload carries no head branch); [] for anything else. The job checks the author's permission.
    """
    issue = payload.get("issue") or {}
    comment = payload.get("comment") or {}
    repo = (payload.get("repository") or {}).get("full_name")
    if not repo or not issue.get("pull_request") or markers.LABEL_BOT not in _label_names(issue):
        return []
    user = comment.get("user") or {}
    if _is_bot(user) or _is_bot(payload.get("sender")) or not user.get("login"):
        return []
    commands = parse_commands(str(comment.get("body") or ""), settings.bot_name)
    if not commands or not isinstance(comment.get("id"), int):
        return []
    kwargs = {
        "repo": repo,
        "installation_id": (payload.get("installation") or {}).get("id"),
        "number": issue["number"],
        "comment_id": comment["id"],
        "author": user["login"],
        "commands": list(dict.fromkeys(c.verb.value for c in commands)),
    }
    return [Job(RUN_COMMAND, kwargs, EVENTS_QUEUE)]


ROUTES = {
    ("issue_comment", "created"): issue_comment_created,
}
