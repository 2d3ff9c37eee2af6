"""The repositories the reconcile task visits: those the App is installed on, and those remembered in Redis."""

from __future__ import annotations

import logging

import redis

from bot.known_repos import known_repos
from bot.settings import Settings

log = logging.getLogger(__name__)


def repos_to_reconcile(settings: Settings) -> list[tuple[str, int | None]]:
    """The App's installed repositories, read from GitHub (so a flushed Redis loses none), united with
    those remembered in Redis; for a repository in both, GitHub's installation id wins."""
    from bot.forge.github import installed_repos  # PyGithub only where GitHub is talked to

    found: dict[str, int | None] = {}
    try:
        found.update(known_repos(settings))
    except redis.RedisError as error:
        log.warning("could not read the remembered repositories", extra={"error": type(error).__name__})
    found.update(installed_repos(settings) or [])
    return sorted(found.items())
