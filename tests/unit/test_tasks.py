"""The tasks' outer edge, run eagerly in-process: retry on Retryable, record Permanent, catch-all -> failed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from celery import Celery

from bot import gitops
from bot.forge.base import Permanent, RepoInfo, Retryable
from bot.forge.local import LocalForge
from bot.settings import Settings
from workers import tasks
from workers.celery_app import make_celery, settings_of
from workers.contract import MIGRATE_CATEGORY, START_CAMPAIGN
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
