"""Where the dashboard finds repositories and a forge to read each one: the App's installations, or the demo's folder.

The dashboard only reads: every page is rebuilt from GitHub's truth (campaign files, the bot's PRs, the
dashboard issue's hidden data), like `migration-bot status`, so it keeps no store of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from bot.forge.base import Forge
from bot.settings import Settings

#: how long the list of installed repositories is reused before GitHub is asked again
REPOS_TTL_S = 60.0


class Catalog(Protocol):
    def repos(self) -> list[str]:
        """Every repository the bot works on, sorted."""
        ...

    def forge(self, repo: str) -> Forge:
        """A forge able to read `repo` (KeyError when `repo` is not one of `repos()`)."""
        ...


class LocalCatalog:
    """The demo's local forge: fixed repositories under one folder."""

    def __init__(self, root: str | Path, repos: list[str]) -> None:
        from bot.forge.local import LocalForge

        self._forge, self._repos = LocalForge(root), sorted(repos)

    def repos(self) -> list[str]:
        return list(self._repos)

    def forge(self, repo: str) -> Forge:
        if repo not in self._repos:
            raise KeyError(repo)
        return self._forge


class GitHubCatalog:
    """The App's installed repositories (token mode: those the workers remembered), each read with its
    installation's token. Forges are kept per installation, so their ETag caches serve repeated page views."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings, self._clock = settings, clock
        self._lock = threading.Lock()
        self._installed: dict[str, int | None] = {}
        self._read_at: float | None = None
        self._forges: dict[int | None, Forge] = {}

    def _installations(self) -> dict[str, int | None]:
        with self._lock:
            if self._read_at is None or self._clock() - self._read_at > REPOS_TTL_S:
                self._installed = dict(_installed(self._settings))
                self._read_at = self._clock()
            return self._installed

    def repos(self) -> list[str]:
        return sorted(self._installations())

    def forge(self, repo: str) -> Forge:
        installation_id = self._installations()[repo]
        with self._lock:
            if installation_id not in self._forges:
                from bot.forge.github import GitHubForge

                self._forges[installation_id] = GitHubForge(self._settings, installation_id)
            return self._forges[installation_id]


def _installed(settings: Settings) -> list[tuple[str, int | None]]:
    from bot.forge.github import installed_repos  # PyGithub only where GitHub is talked to

    found = installed_repos(settings)
    if found is not None:
        return list(found)
    # token mode: GitHub has no list of "installed" repositories; use the one the reconcile task walks
    from bot.known_repos import known_repos

    return known_repos(settings)
