"""One reconcile tick: its reads made once, its writes noticed, and whether anything changed since a quiet tick.

A tick is quiet when it wrote nothing and enqueued nothing. If the next tick's conditional reads (see
`bot.forge.etag`) all come back unchanged, judging again would decide the same nothing, so it is skipped.
A tick that acted, or tried to (a merge GitHub refused), is never quiet: the next one judges again.
"""

from __future__ import annotations

import weakref
from typing import Any, Protocol, runtime_checkable

from bot.forge.base import CheckResult, Forge

#: Forge methods that only read; any other call through a tick counts as a write (attempted or done)
READS = frozenset({"repo", "git_token", "read_file", "list_files", "find_pull", "list_pulls", "get_pull",
                   "checks", "required_checks", "pull_commits", "permission"})


@runtime_checkable
class ConditionalReads(Protocol):
    """A forge whose reads send ETags (GitHubForge); LocalForge is not one, so it is always judged."""

    def read_generation(self, full_name: str) -> int: ...


class TickReads:
    """`forge` for one tick: checks and required checks are read once (the probe reads them, the judging
    reuses the answers); every other call goes through, and one that is not a read sets `wrote`."""

    def __init__(self, forge: Forge) -> None:
        self.forge = forge
        self.wrote = False
        self._checks: dict[tuple[str, str], list[CheckResult]] = {}
        self._required: dict[tuple[str, str], tuple[str, ...] | None] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in READS:
            self.wrote = True
        return getattr(self.forge, name)

    def checks(self, full_name: str, sha: str) -> list[CheckResult]:
        if (full_name, sha) not in self._checks:
            self._checks[full_name, sha] = self.forge.checks(full_name, sha)
        return self._checks[full_name, sha]

    def required_checks(self, full_name: str, branch: str) -> tuple[str, ...] | None:
        if (full_name, branch) not in self._required:
            self._required[full_name, branch] = self.forge.required_checks(full_name, branch)
        return self._required[full_name, branch]


#: per forge: repository -> the forge's read generation when that repository's last quiet tick ended
_quiet: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()


def unchanged_since_quiet(forge: Forge, repo: str) -> bool:
    """True when the last tick of `repo` on this forge was quiet and no conditional read since has brought
    anything new; False for a forge without conditional reads, or after a restart (nothing remembered)."""
    if not isinstance(forge, ConditionalReads):
        return False
    return _quiet.get(forge, {}).get(repo) == forge.read_generation(repo)


def forget(forge: Forge, repo: str) -> None:
    """Called before judging: a tick that fails half-way must not leave `repo` marked quiet."""
    if isinstance(forge, ConditionalReads) and forge in _quiet:
        _quiet[forge].pop(repo, None)


def remember_quiet(forge: Forge, repo: str) -> None:
    if isinstance(forge, ConditionalReads):
        _quiet.setdefault(forge, {})[repo] = forge.read_generation(repo)
