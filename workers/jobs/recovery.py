"""Comment commands whose queued task was lost (Redis flushed, a worker gone), found again on GitHub.

The bot reacts to every command it takes (+1, -1 or confused), so a command comment on one of the bot's
open PRs with no reaction from the bot is one that was never carried out. Reconcile asks for each again as
RUN_COMMAND, which checks the author's permission as the webhook path does. Asking twice is harmless:
every command's effect is find-or-create.

Never taken for a command, as on the webhook path: the bot's own comments (by its login, or carrying its
hidden marker, in token mode too), other bots' comments, edited comments (only new comments count) and
anything on someone else's PR.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot import markers
from bot.commands import parse_commands
from bot.forge.base import CommentInfo, Forge, PullInfo
from workers.contract import RUN_COMMAND, Job
from workers.jobs import follow_up

log = logging.getLogger(__name__)


def lost_commands(forge: Forge, repo: str, pulls: Sequence[PullInfo], bot_name: str) -> list[Job]:
    """RUN_COMMAND for each command comment on the open PRs in `pulls` (the bot's) that the bot never
    reacted to, oldest first; [] when there is none. Reads: one comment list per open PR (conditional on
    GitHub), and the reactions of a command comment only when it carries any."""
    login = forge.bot_login()
    jobs: list[Job] = []
    for pull in pulls:
        if pull.state != "open":
            continue
        for comment in forge.list_comments(repo, pull.number):
            verbs = _verbs(comment, login, bot_name)
            if not verbs or _taken(forge, repo, comment, login):
                continue
            log.info("command found without the bot's reaction; running it",
                     extra={"repo": repo, "pull": pull.number, "comment_id": comment.id, "author": comment.author})
            jobs.append(follow_up(RUN_COMMAND, repo=repo, number=pull.number, comment_id=comment.id,
                                  author=comment.author, commands=verbs))
    return jobs


def _verbs(comment: CommentInfo, login: str, bot_name: str) -> list[str]:
    if comment.author in ("", login) or comment.author.endswith("[bot]") or comment.edited \
            or markers.is_bot_comment(comment.body):
        return []
    return list(dict.fromkeys(c.verb.value for c in parse_commands(comment.body, bot_name)))


def _taken(forge: Forge, repo: str, comment: CommentInfo, login: str) -> bool:
    """The bot reacted to it (it took the command, refused it, or did not understand it)."""
    return comment.reactions > 0 and any(who == login for who, _ in forge.reactions(repo, comment.id))
