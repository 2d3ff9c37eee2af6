"""Thin Celery tasks for the rollout: judge checks, follow a closed PR, reconcile (the beat task).

Same edge as `workers.tasks` (its `guarded`, `runtime`, `_enqueue`): Retryable -> retry with backoff
and jitter, Permanent -> recorded. A separate per-repository lock key keeps two rollout tasks from
acting on one repository at once without waiting behind a long migration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import redis
from celery import Task, shared_task

from bot.settings import Settings
from workers import rollout_jobs
from workers.contract import JUDGE_CHECKS, PULL_CLOSED, RECONCILE_CAMPAIGNS
from workers.tasks import MAX_RETRIES, _enqueue, guarded, runtime

log = logging.getLogger(__name__)

#: repositories the rollout has seen (repo -> installation id): in token mode the beat task's only list,
#: in App mode an addition to the App's installations; a flushed Redis is refilled by the next check event
KNOWN_REPOS_KEY = "migration-bot:rollout:repos"
_NO_INSTALLATION = "-"


def rollout_lock_name(repo: str) -> str:
    """Lock name for rollout work on `repo`, apart from the migration lock (which is held for minutes)."""
    return f"{repo}#rollout"


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


@shared_task(name=JUDGE_CHECKS, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def judge_checks(self: Task, repo: str, installation_id: int | None, sha: str) -> list[str]:
    rt = runtime(self.app)
    forge = rt.forge_for(installation_id)
    remember_repo(rt.settings, repo, installation_id)

    def work() -> list[str]:
        with rt.lock.hold(rollout_lock_name(repo)):
            return rollout_jobs.judge_checks(forge, repo, sha, enqueue=_enqueue(self, installation_id),
                                             workdir=rt.settings.workdir, campaign_glob=rt.settings.campaign_glob)

    return guarded(self, work, {"repo": repo, "sha": sha})


@shared_task(name=PULL_CLOSED, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def pull_closed(self: Task, repo: str, installation_id: int | None, number: int) -> list[str]:
    rt = runtime(self.app)
    forge = rt.forge_for(installation_id)
    remember_repo(rt.settings, repo, installation_id)

    def work() -> list[str]:
        with rt.lock.hold(rollout_lock_name(repo)):
            due = rollout_jobs.pull_closed(forge, repo, number, enqueue=_enqueue(self, installation_id),
                                           campaign_glob=rt.settings.campaign_glob)
        return [task for task, _ in due]

    return guarded(self, work, {"repo": repo, "pull": number})


@shared_task(name=RECONCILE_CAMPAIGNS, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def reconcile_campaigns(self: Task, repos: Sequence[Sequence[object]] | None = None) -> dict[str, list[str]]:
    """`repos`: [[full_name, installation_id], ...]; None (the beat schedule) = `repos_to_reconcile`."""
    rt = runtime(self.app)

    def work() -> dict[str, list[str]]:
        listed = _pairs(repos) if repos is not None else repos_to_reconcile(rt.settings)
        done: dict[str, list[str]] = {}
        for repo, installation_id in listed:
            with rt.lock.hold(rollout_lock_name(repo)):
                done |= rollout_jobs.reconcile_campaigns(
                    rt.forge_for, [(repo, installation_id)], enqueue_for=lambda i: _enqueue(self, i),
                    workdir=rt.settings.workdir, campaign_glob=rt.settings.campaign_glob)
        return done

    return guarded(self, work, {"repos": "given" if repos is not None else "discovered"})


def _pairs(repos: Iterable[Sequence[object]]) -> list[tuple[str, int | None]]:
    return [(str(repo), None if inst is None else int(str(inst))) for repo, inst in repos]
