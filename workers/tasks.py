"""The Celery tasks: one base task (runtime, forge, lock, follow-ups, error edge) and a thin body per task.

Tasks are `shared_task`s so they attach to whichever app is current (the worker's, the web app's for
`send_task`, the demo's eager one) without importing `workers.celery_app` here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from celery import Celery, Task, shared_task

from bot.forge.base import Forge, ForgeError, Permanent, Retryable
from bot.known_repos import remember_repo
from bot.settings import Settings
from workers.contract import (
    CHECK_CAMPAIGN,
    DASHBOARD_EDITED,
    JUDGE_CHECKS,
    MIGRATE_CATEGORY,
    PULL_CLOSED,
    RECONCILE_CAMPAIGNS,
    RUN_COMMAND,
    START_CAMPAIGN,
    Job,
)
from workers.jobs import JobConfig, Outcome, boxes, campaign_check, migrate, rollout
from workers.jobs import commands as commands_job
from workers.known_repos import repos_to_reconcile
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

    @cached_property
    def config(self) -> JobConfig:
        """The job configuration, made once from `settings`."""
        return JobConfig.from_settings(self.settings)


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


def rollout_lock_name(repo: str) -> str:
    """Lock name for rollout work on `repo`, apart from the migration lock (which is held for minutes)."""
    return f"{repo}#rollout"


def send_follow_ups(app: Celery, follow_ups: Iterable[Job], installation_id: int | None) -> None:
    """The one place a job's follow-ups are sent: by name on the task's own app (so eager mode runs them
    in-process), with the installation id of the task that asked. Called after the lock is released."""
    for job in follow_ups:
        app.tasks[job.task].apply_async(kwargs={**job.kwargs, "installation_id": installation_id})


class RepoTask(Task):
    """The edge every task shares: runtime and forge, the repository's lock, follow-ups, errors.

    acks_late and reject_on_worker_lost come from the app's configuration (`workers.celery_app`).
    """

    max_retries = MAX_RETRIES

    def run_job(self, repo: str, installation_id: int | None, job: Callable[[Forge, JobConfig], Any],
                fields: Mapping[str, Any], *, lock: str | None = None, remember: bool = False,
                on_permanent: Callable[[Forge, str], None] | None = None) -> Any:
        """Runs `job(forge, config)` under `lock` (a lock name; None: no lock) inside `guarded`, then sends
        its follow-ups; returns its result. `remember` adds `repo` to the reconcile list first."""
        current = runtime(self.app)
        forge = current.forge_for(installation_id)
        if remember:
            remember_repo(current.settings, repo, installation_id)

        def work() -> Any:
            with current.lock.hold(lock) if lock is not None else contextlib.nullcontext():
                done = job(forge, current.config)
            if not isinstance(done, Outcome):
                return done
            send_follow_ups(self.app, done.follow_ups, installation_id)
            return done.result

        said = None if on_permanent is None else functools.partial(on_permanent, forge)
        return guarded(self, work, {"repo": repo, **fields}, on_permanent=said)


@shared_task(name=START_CAMPAIGN, bind=True, base=RepoTask)
def start_campaign(self: RepoTask, repo: str, installation_id: int | None, sha: str,
                   path: str | None = None) -> list[str]:
    return self.run_job(repo, installation_id, lambda forge, config: migrate.start_campaign(
        forge, repo, sha, path, config), {"sha": sha, "path": path})


@shared_task(name=MIGRATE_CATEGORY, bind=True, base=RepoTask)
def migrate_category(self: RepoTask, repo: str, installation_id: int | None, sha: str, campaign_path: str,
                     category: str, dashboard: int | None = None) -> dict[str, Any]:
    result = self.run_job(
        repo, installation_id,
        lambda forge, config: migrate.migrate_category(forge, repo, sha, campaign_path, category, config, dashboard),
        {"sha": sha, "campaign_path": campaign_path, "category": category}, lock=repo,
        on_permanent=lambda forge, reason: migrate.comment_migration_failure(forge, repo, sha, campaign_path,
                                                                             category, reason))
    return result.to_json()


@shared_task(name=CHECK_CAMPAIGN, bind=True, base=RepoTask)
def check_campaign(self: RepoTask, repo: str, installation_id: int | None, sha: str, paths: Sequence[str] | None,
                   branch: str, removed: Sequence[str] = (), before: str | None = None,
                   number: int | None = None) -> dict[str, object]:
    """Under the rollout lock: on the default branch it writes dashboards, as the rollout jobs do."""
    result = self.run_job(
        repo, installation_id,
        lambda forge, config: campaign_check.check_campaign(forge, repo, sha, paths, branch, removed, before, config,
                                                            number),
        {"sha": sha, "branch": branch, "pull": number}, lock=rollout_lock_name(repo))
    return result.to_json()


@shared_task(name=JUDGE_CHECKS, bind=True, base=RepoTask)
def judge_checks(self: RepoTask, repo: str, installation_id: int | None, sha: str) -> list[str]:
    return self.run_job(repo, installation_id, lambda forge, config: rollout.judge_checks(forge, repo, sha, config),
                        {"sha": sha}, lock=rollout_lock_name(repo), remember=True)


@shared_task(name=PULL_CLOSED, bind=True, base=RepoTask)
def pull_closed(self: RepoTask, repo: str, installation_id: int | None, number: int) -> list[str]:
    return self.run_job(repo, installation_id, lambda forge, config: rollout.pull_closed(forge, repo, number, config),
                        {"pull": number}, lock=rollout_lock_name(repo), remember=True)


@shared_task(name=RUN_COMMAND, bind=True, base=RepoTask)
def run_command(self: RepoTask, repo: str, installation_id: int | None, number: int, comment_id: int, author: str,
                commands: Sequence[str]) -> list[str]:
    """Under the rollout lock, so a command and a judge never act on one PR at the same moment."""
    return self.run_job(
        repo, installation_id,
        lambda forge, config: commands_job.run_command(forge, repo, number, comment_id, author, commands, config),
        {"pull": number, "comment_id": comment_id, "author": author}, lock=rollout_lock_name(repo), remember=True,
        on_permanent=lambda forge, reason: commands_job.comment_command_failure(forge, repo, number, reason))


@shared_task(name=DASHBOARD_EDITED, bind=True, base=RepoTask)
def dashboard_edited(self: RepoTask, repo: str, installation_id: int | None, number: int, campaign: str, author: str,
                     ticked: Sequence[str], carried_data: str | None = None) -> list[str]:
    """A person edited a dashboard issue: restore it and carry out the boxes ticked, under the rollout lock."""
    return self.run_job(
        repo, installation_id,
        lambda forge, config: boxes.dashboard_edited(forge, repo, number, campaign, author, ticked, carried_data,
                                                     config),
        {"issue": number, "campaign": campaign, "author": author}, lock=rollout_lock_name(repo), remember=True)


@shared_task(name=RECONCILE_CAMPAIGNS, bind=True, base=RepoTask)
def reconcile_campaigns(self: RepoTask, repos: Sequence[Sequence[object]] | None = None) -> dict[str, list[str]]:
    """`repos`: [[full_name, installation_id], ...]; None (the beat schedule) = `repos_to_reconcile`.

    One repository at a time under its rollout lock; one GitHub refuses does not stop the others.
    """
    current = runtime(self.app)

    def work() -> dict[str, list[str]]:
        listed = _pairs(repos) if repos is not None else repos_to_reconcile(current.settings)
        done: dict[str, list[str]] = {}
        for repo, installation_id in listed:
            try:
                with current.lock.hold(rollout_lock_name(repo)):
                    outcome = rollout.reconcile_repo(current.forge_for(installation_id), repo, current.config)
            except Permanent as error:
                log.warning("reconcile skipped a repository", extra={"repo": repo, "reason": str(error)})
                continue
            done[repo] = outcome.result
            send_follow_ups(self.app, outcome.follow_ups, installation_id)
        return done

    return guarded(self, work, {"repos": "given" if repos is not None else "discovered"})


def _pairs(repos: Iterable[Sequence[object]]) -> list[tuple[str, int | None]]:
    return [(str(repo), None if inst is None else int(str(inst))) for repo, inst in repos]
