"""The tasks' outer edge, run eagerly in-process: retry on Retryable, record Permanent, catch-all -> failed."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

from bot import gitops
from bot.forge.base import Permanent, RepoInfo, Retryable
from bot.forge.local import LocalForge
from bot.settings import Settings
from workers import tasks
from workers.celery_app import make_celery, settings_of
from workers.contract import MIGRATE_CATEGORY, START_CAMPAIGN, Job
from workers.jobs import JobConfig, Outcome
from workers.locks import ThreadRepoLock

REPO = "acme/app"
SECRET = "ghs_neverShowThisToken"


class FlakyForge(LocalForge):
    """A forge whose `repo()` fails as scripted: each entry is raised once, then it answers."""

    def __init__(self, root: Path, failures: list[Exception]) -> None:
        super().__init__(root)
        self.failures = failures
        self.calls = 0

    def repo(self, full_name: str) -> RepoInfo:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return super().repo(full_name)


@pytest.fixture()
def app(tmp_path: Path) -> Celery:
    settings = Settings(eager=True, redis_url="memory://", workdir=str(tmp_path))
    celery = make_celery(settings)
    celery.conf.update(result_backend="cache+memory://", broker_url="memory://", task_eager_propagates=False)
    return celery


def _run(app: Celery, forge: LocalForge, name: str = MIGRATE_CATEGORY):  # type: ignore[no-untyped-def]
    runtime = tasks.Runtime(settings_of(app),
                            lambda installation_id: forge, ThreadRepoLock())
    kwargs = {"repo": REPO, "installation_id": None, "sha": "main"}
    kwargs |= ({"campaign_path": ".github/migrations/c.yml", "category": "unit"} if name == MIGRATE_CATEGORY
               else {"path": ".github/migrations/c.yml"})
    with tasks.using(runtime):
        return app.tasks[name].apply(kwargs=kwargs, throw=False)


@pytest.mark.parametrize(("retries", "after_s", "low", "high"), [
    (0, 0.0, tasks.BACKOFF_BASE_S / 2, tasks.BACKOFF_BASE_S),
    (3, 0.0, tasks.BACKOFF_BASE_S * 4, tasks.BACKOFF_BASE_S * 8),
    (20, 0.0, tasks.BACKOFF_MAX_S / 2, tasks.BACKOFF_MAX_S),
    (0, 90.0, 90.0, 90.0),  # GitHub's Retry-After wins over a shorter backoff
])
def test_retry_countdown(retries: int, after_s: float, low: float, high: float) -> None:
    for _ in range(20):
        assert low <= tasks.retry_countdown(retries, after_s) <= high


def test_retryable_is_retried_then_permanent_is_recorded(app: Celery, tmp_path: Path) -> None:
    forge = FlakyForge(tmp_path, [Retryable("GitHub answered 502"), Permanent("GitHub answered 404")])
    result = _run(app, forge)
    assert forge.calls == 2  # one retry, then the permanent failure ends the task
    assert result.state == "FAILURE" and isinstance(result.result, Permanent)
    assert "404" in str(result.result)


def test_permanent_campaign_error_ends_the_task(app: Celery, tmp_path: Path) -> None:
    (tmp_path / REPO).mkdir(parents=True)
    (tmp_path / REPO / "README.md").write_text("no campaign here\n")
    gitops.init_repository(tmp_path / REPO)
    result = _run(app, LocalForge(tmp_path), START_CAMPAIGN)
    assert result.state == "FAILURE" and isinstance(result.result, Permanent)
    assert "campaign file not found" in str(result.result)


def test_unexpected_error_is_logged_and_marked_failed(app: Celery, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    forge = FlakyForge(tmp_path, [RuntimeError(f"boom with {SECRET}")])
    with caplog.at_level(logging.ERROR, logger="workers.tasks"):
        result = _run(app, forge)
    assert result.state == "FAILURE" and isinstance(result.result, tasks.TaskFailed)
    assert SECRET not in str(result.result) and "RuntimeError" in str(result.result)
    [record] = [r for r in caplog.records if r.getMessage() == "task failed"]
    assert record.exc_info is not None and getattr(record, "repo", None) == REPO


class RecordingLock:
    """A RepoLock that writes down when it is taken and released."""

    def __init__(self, events: list[object]) -> None:
        self.events = events

    @contextlib.contextmanager
    def hold(self, repo: str) -> Iterator[None]:
        self.events.append(f"take {repo}")
        try:
            yield
        finally:
            self.events.append(f"release {repo}")


def test_follow_ups_are_sent_once_the_lock_is_released(app: Celery, tmp_path: Path) -> None:
    events: list[object] = []
    app.conf.task_always_eager = True

    @app.task(name="test.follow", shared=False)
    def follow(repo: str, installation_id: int | None) -> None:
        events.append(("follow", repo, installation_id))

    @app.task(name="test.job", bind=True, base=tasks.RepoTask, shared=False)
    def job(self: tasks.RepoTask, repo: str, installation_id: int | None) -> str:
        def work(forge: object, config: JobConfig) -> Outcome[str]:
            events.append(("job", config.workdir))
            return Outcome("done", (Job("test.follow", {"repo": repo}),))

        return self.run_job(repo, installation_id, work, {}, lock=repo)

    runtime = tasks.Runtime(settings_of(app), lambda installation_id: LocalForge(tmp_path), RecordingLock(events))
    with tasks.using(runtime):
        result = app.tasks["test.job"].apply(kwargs={"repo": REPO, "installation_id": 7})
    assert result.get() == "done"
    assert events == [f"take {REPO}", ("job", str(tmp_path)), f"release {REPO}", ("follow", REPO, 7)]
