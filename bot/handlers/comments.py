"""Comments on the bot's PRs: a maintainer's `@migration-bot <verb>` -> RUN_COMMAND (permission checked there).

Only new comments count (`issue_comment.created`), as with Dependabot: editing an old comment into a
command, or a typo fix in one, must not run it (again). Comments by bots are ignored, so the bot's own
replies (which list the commands) can never trigger it, nor can two bots talk each other into a loop; in
token mode the bot is a plain user, so a comment by the login it answers to, or carrying its hidden
marker, is ignored too. A PR whose description has no bot marker is not the bot's: no job. (The job
checks the rest of "whose PR is it", the author and the head repository, which the payload lacks.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import markers
from bot.commands import parse_commands
from bot.payloads import CommentEvent, read
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, RUN_COMMAND, Job


def issue_comment_created(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """One RUN_COMMAND for a command comment on a bot PR (an issue with a `pull_request` key and the bot's
    label: the payload carries no head branch); [] for anything else. The job checks the author's permission.
    """
    event = read(CommentEvent, payload)
    issue, comment = event.issue, event.comment
    if not event.repo or issue is None or comment is None:
        return []
    if not issue.pull_request or markers.LABEL_BOT not in issue.label_names:
        return []
    if markers.parse_marker(issue.body or "") is None:
        return []
    user = comment.user
    if user is None or not user.login or user.is_bot or (event.sender is not None and event.sender.is_bot):
        return []
    if user.login.lower() == settings.bot_name.lower() or markers.is_bot_comment(comment.body or ""):
        return []
    commands = parse_commands(comment.body or "", settings.bot_name)
    if not commands or comment.id is None:
        return []
    kwargs = {
        "repo": event.repo,
        "installation_id": event.installation_id,
        "number": issue.number,
        "comment_id": comment.id,
        "author": user.login,
        "commands": list(dict.fromkeys(c.verb.value for c in commands)),
    }
    return [Job(RUN_COMMAND, kwargs, EVENTS_QUEUE)]


ROUTES = {
    ("issue_comment", "created"): issue_comment_created,
}
