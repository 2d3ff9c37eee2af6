"""The repositories the bot has seen, remembered in Redis: the reconcile task walks them and, in token mode,
the web dashboard lists them (GitHub has no list of a token's "installed" repositories).

Remembering is best effort: a flushed Redis is refilled by the next event of each repository.
"""

from __future__ import annotations

import logging

import redis

from bot.settings import Settings

log = logging.getLogger(__name__)

#: repositories the rollout has seen (repo -> installation id): in token mode the beat task's only list,
#: in App mode an addition to the App's installations; a flushed Redis is refilled by the next check event
KNOWN_REPOS_KEY = "migration-bot:rollout:repos"
_NO_INSTALLATION = "-"


def remember_repo(settings: Settings, repo: str, installation_id: int | None) -> None:
    """Adds `repo` to the reconcile list; best effort (no Redis in eager mode, or Redis down)."""
    if settings.eager or settings.redis_url.startswith("memory://"):
        return
    try:
        client = redis.Redis.from_url(settings.redis_url)
        client.hset(KNOWN_REPOS_KEY, repo, _NO_INSTALLATION if installation_id is None else str(installation_id))
    except redis.RedisError as error:
        log.warning("could not remember the repository", extra={"repo": repo, "error": type(error).__name__})


def known_repos(settings: Settings) -> list[tuple[str, int | None]]:
    if settings.eager or settings.redis_url.startswith("memory://"):
        return []
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    return sorted((repo, None if value == _NO_INSTALLATION else int(value))
                  for repo, value in client.hgetall(KNOWN_REPOS_KEY).items())
