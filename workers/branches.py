"""Which branch name the bot may push a new PR's change to: its own name, or a fresh one when that is taken.

A name is taken when someone else's open PR has it as head, or the branch holds commits the bot did not
make (a human created it, or pushed to it with no bot PR on it). The bot never pushes over such a branch
and never stalls on it: it moves to `<name>-2`, `<name>-3`... The order is fixed and a name that holds
only the bot's commits (its own push, before a run stopped) is taken back, so a re-run finds the same
name again and never opens a second PR.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot import gitops
from bot.forge.base import Forge, Permanent, Retryable, is_bot_pull

log = logging.getLogger(__name__)

#: names tried after the usual one (`<name>-2` .. `<name>-<MAX_TRIES>`) before giving up
MAX_TRIES = 10


@dataclass(frozen=True)
class Claim:
    branch: str  #: the name to push to
    taken: str = ""  #: who holds the usual name, for the PR body and the dashboard ("" when it was free)


def claim_branch(forge: Forge, repo: str, clone: Path, branch: str, auth: gitops.GitAuth) -> Claim:
    """The first of `branch`, `branch-2`, ... that nobody else holds (the clone fetches what it checks)."""
    holders: list[str] = []
    for candidate in [branch, *(f"{branch}-{n}" for n in range(2, MAX_TRIES + 1))]:
        holder = _holder(forge, repo, clone, candidate, auth)
        if holder is None:
            if holders:
                log.warning("branch taken; using a fresh name", extra={
                    "repo": repo, "branch": branch, "taken_by": holders[0], "fresh": candidate})
            return Claim(candidate, f"`{branch}` ({holders[0]})" if holders else "")
        holders.append(holder)
    raise Permanent(f"every name from {branch} to {branch}-{MAX_TRIES} is taken by someone else's branch")


def _holder(forge: Forge, repo: str, clone: Path, name: str, auth: gitops.GitAuth) -> str | None:
    """Who holds `name` ("@login's #12", "commits by x@y"); None when the bot may push there."""
    try:
        if gitops.remote_branch_sha(clone, name, auth) is None:
            return None  # no branch, no PR on it (GitHub closes a PR whose head branch is deleted): free
        foreign = gitops.foreign_commits(clone, gitops.fetch(clone, name, auth))
    except gitops.GitError as error:
        raise Retryable(f"could not read the branch {name}: {error}", after_s=5) from None
    login = forge.bot_login()
    for pull in forge.branch_pulls(repo, name):
        if not is_bot_pull(pull, repo, login):
            return f"@{pull.author}'s #{pull.number}"
    if not foreign:
        return None
    return "commits by " + ", ".join(dict.fromkeys(stamp.author_email for stamp in foreign))
