"""Thin Celery tasks: build the dependencies, call a job, turn Retryable into a Celery retry.

Tasks are `shared_task`s so they attach to whichever app is current (the worker's, the web app's for
`send_task`, the demo's eager one) without importing `workers.celery_app` here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from celery import Celery, Task, shared_task

from bot.forge.base import Forge, ForgeError, Permanent, Retryable
from bot.settings import Settings
from workers import jobs
from workers.contract import MIGRATE_CATEGORY, START_CAMPAIGN
from workers.locks import RedisRepoLock, RepoLock, ThreadRepoLock

log = logging.getLogger(__name__)

MAX_RETRIES = 8
BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 600.0

T = TypeVar("T")


class TaskFailed(Exception):
    """An unexpected error at the task's outer edge; the text names its type only (no payloads, no tokens)."""


@dataclass(frozen=True)
class Runtime:
    """What a task needs besides its ids: settings, a forge per installation, the repository lock."""

    settings: Settings
    forge_for: Callable[[int | None], Forge]
    lock: RepoLock


_overrides: list[Runtime] = []


@contextlib.contextmanager
def using(runtime: Runtime) -> Iterator[Runtime]:
    """Runs the tasks of this process against `runtime` (the demo's LocalForge, in-process locks)."""
    _overrides.append(runtime)
    try:
        yield runtime
    finally:
        _overrides.remove(runtime)


@functools.cache
def _env_settings() -> Settings:
    return Settings.from_env()


def _settings(app: Celery) -> Settings:
    try:
        from workers.celery_app import settings_of
        return settings_of(app)
    except LookupError:
        return _env_settings()


@functools.cache
def _default_runtime(settings: Settings) -> Runtime:
    """Built once per process and settings: GitHub forges cached per installation (and their tokens)."""
    from bot.forge.github import GitHubForge

    forges: dict[int | None, Forge] = {}

    def forge_for(installation_id: int | None) -> Forge:
        if installation_id not in forges:
            forges[installation_id] = GitHubForge(settings, installation_id)
        return forges[installation_id]

    in_process = settings.eager or settings.redis_url.startswith("memory://")
    lock: RepoLock = ThreadRepoLock() if in_process else RedisRepoLock.from_url(settings.redis_url)
    return Runtime(settings, forge_for, lock)


def runtime(app: Celery) -> Runtime:
    return _overrides[-1] if _overrides else _default_runtime(_settings(app))


def retry_countdown(retries: int, after_s: float) -> float:
    """Exponential backoff with jitter, never shorter than what GitHub asked for (`after_s`)."""
    backoff = min(BACKOFF_BASE_S * 2**retries, BACKOFF_MAX_S)
    return max(after_s, random.uniform(backoff / 2, backoff))


def guarded(task: Task, work: Callable[[], T], fields: Mapping[str, Any],
            on_permanent: Callable[[str], None] | None = None) -> T:
    """The task's outer edge: Retryable -> retry later; Permanent -> logged, said, recorded as the failure;
    anything else -> logged with its traceback and recorded as TaskFailed."""
    extra = {**fields, "task_id": task.request.id, "task": task.name}
    try:
        return work()
    except Retryable as error:
        countdown = retry_countdown(task.request.retries, error.after_s)
        log.info("retrying: %s", error, extra={**extra, "countdown": countdown})
        raise task.retry(countdown=countdown, max_retries=MAX_RETRIES, exc=error) from None
    except Permanent as error:
        log.warning("giving up: %s", error, extra=extra)
        if on_permanent is not None:
            _say(on_permanent, str(error), extra)
        raise
    except Exception as error:
        log.exception("task failed", extra=extra)
        raise TaskFailed(f"{type(error).__name__} in {task.name}; see the worker log") from None


def _say(on_permanent: Callable[[str], None], reason: str, extra: Mapping[str, Any]) -> None:
    try:
        on_permanent(reason)
    except ForgeError as error:
        log.warning("could not report the failure: %s", error, extra=dict(extra))


def _enqueue(task: Task, installation_id: int | None) -> jobs.Enqueue:
    """Enqueues by name on the task's own app, so eager mode runs the next task in-process."""

    def enqueue(name: str, kwargs: Mapping[str, Any]) -> None:
        task.app.tasks[name].apply_async(kwargs={**kwargs, "installation_id": installation_id})

    return enqueue


@shared_task(name=START_CAMPAIGN, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def start_campaign(self: Task, repo: str, installation_id: int | None, sha: str,
                   path: str | None = None) -> list[str]:
    rt = runtime(self.app)
    forge = rt.forge_for(installation_id)
    return guarded(self, lambda: jobs.start_campaign(
        forge, repo, sha, path, enqueue=_enqueue(self, installation_id), workdir=rt.settings.workdir,
        glob=rt.settings.campaign_glob), {"repo": repo, "sha": sha, "path": path})


@shared_task(name=MIGRATE_CATEGORY, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def migrate_category(self: Task, repo: str, installation_id: int | None, sha: str, campaign_path: str,
                     category: str) -> dict[str, Any]:
    rt = runtime(self.app)
    forge = rt.forge_for(installation_id)
    result = guarded(
        self,
        lambda: jobs.migrate_category(forge, repo, sha, campaign_path, category, workdir=rt.settings.workdir,
                                      lock=rt.lock),
        {"repo": repo, "sha": sha, "campaign_path": campaign_path, "category": category},
        on_permanent=lambda reason: jobs.report_failure(forge, repo, sha, campaign_path, category, reason),
    )
    return result.to_json()
