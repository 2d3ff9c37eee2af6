"""workers.celery_app: at-least-once JSON Celery on Redis, two queues, eager mode, lazy module app, auth check."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery

from bot.settings import Settings
from tests.redis_db import key_prefix, private_url
from workers.celery_app import VISIBILITY_TIMEOUT_S, make_celery, settings_of
from workers.contract import (
    EVENTS_QUEUE,
    MIGRATE_CATEGORY,
    MIGRATIONS_QUEUE,
    RECONCILE_CAMPAIGNS,
    START_CAMPAIGN,
)

ROOT = Path(__file__).parents[2]
BROKER_URL = private_url(14)


@pytest.fixture
def prefixed() -> Iterator[tuple[Celery, str, redis.Redis]]:
    """A real app on the db-14 broker whose keys carry a per-test prefix, removed afterwards."""
    prefix = f"test-celery-{uuid.uuid4().hex}:"
    app = make_celery(Settings(redis_url=BROKER_URL))
    app.conf.broker_transport_options = {**app.conf.broker_transport_options, "global_keyprefix": prefix}
    client = redis.Redis.from_url(BROKER_URL)
    yield app, prefix, client
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_configured_for_at_least_once_json_delivery() -> None:
    settings = Settings(redis_url=BROKER_URL, reconcile_seconds=45)
    conf = make_celery(settings).conf
    assert (conf.broker_url, conf.result_backend) == (BROKER_URL, BROKER_URL)
    assert (conf.task_serializer, conf.result_serializer, list(conf.accept_content)) == (
        "json",
        "json",
        ["json"],
    )
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (
        True,
        True,
        1,
    )
    assert conf.broker_transport_options["visibility_timeout"] == VISIBILITY_TIMEOUT_S >= 3600
    assert {queue.name for queue in conf.task_queues} == {EVENTS_QUEUE, MIGRATIONS_QUEUE}
    assert "workers.tasks" in conf.include
    (entry,) = conf.beat_schedule.values()
    assert (entry["task"], entry["schedule"]) == (RECONCILE_CAMPAIGNS, 45.0)
    assert conf.task_always_eager is False


@pytest.mark.parametrize(
    ("task", "queue"),
    [(MIGRATE_CATEGORY, MIGRATIONS_QUEUE), (START_CAMPAIGN, EVENTS_QUEUE), ("unknown", EVENTS_QUEUE)],
)
def test_task_routes_put_tasks_on_their_queue(
    prefixed: tuple[Celery, str, redis.Redis], task: str, queue: str
) -> None:
    app, prefix, client = prefixed
    app.send_task(task, kwargs={"repo": "o/r"}, ignore_result=True)
    (raw,) = client.lrange(prefix + queue, 0, -1)
    message = json.loads(raw)
    assert message["headers"]["task"] == task
    assert json.loads(base64.b64decode(message["body"]))[1] == {"repo": "o/r"}


def test_eager_runs_tasks_in_process_and_propagates_errors() -> None:
    app = make_celery(Settings(redis_url=BROKER_URL, eager=True))

    @app.task(name="tests.double")
    def double(n: int) -> int:
        if n < 0:
            raise ValueError("negative")
        return 2 * n

    assert double.delay(21).get() == 42
    with pytest.raises(ValueError, match="negative"):
        double.delay(-1)


def test_settings_travel_with_the_app() -> None:
    settings = Settings(redis_url=BROKER_URL, bot_name="movebot")
    assert settings_of(make_celery(settings)) is settings
    with pytest.raises(LookupError):
        settings_of(Celery("other"))


def _run(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_module_import_does_no_work_and_app_builds_on_access() -> None:
    code = """
        import workers.celery_app as m
        assert m._app is None
        print(m.app.conf.broker_url, m.app is m.celery)
    """
    done = _run(code, {"REDIS_URL": BROKER_URL})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [BROKER_URL, "True"]


def test_module_app_names_a_bad_variable() -> None:
    done = _run("import workers.celery_app as m; m.app", {"MIGRATION_BOT_RECONCILE_SECONDS": "soon"})
    assert done.returncode != 0
    assert "MIGRATION_BOT_RECONCILE_SECONDS" in done.stderr


WORKER_APP = """
    from bot.settings import Settings
    from workers.celery_app import make_celery

    app = make_celery(Settings.from_env())
    app.conf.include = []  # this test is about start-up, not about the tasks module
    app.conf.broker_transport_options = {{"visibility_timeout": 60, "global_keyprefix": "{prefix}"}}
"""


@pytest.fixture
def prefix() -> Iterator[str]:
    """A broker key prefix for one worker run; its keys are removed afterwards."""
    with key_prefix(BROKER_URL, "test-worker") as prefix:
        yield prefix


def _worker(tmp_path: Path, prefix: str, env: dict[str, str]) -> subprocess.Popen[str]:
    (tmp_path / "worker_app.py").write_text(textwrap.dedent(WORKER_APP.format(prefix=prefix)))
    base = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": f"{ROOT}:{tmp_path}",
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker_app",
        "worker",
        "--pool",
        "solo",
        "-Q",
        EVENTS_QUEUE,
    ]
    return subprocess.Popen(
        [*argv, "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO"],
        env={**base, "REDIS_URL": BROKER_URL, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )


def test_worker_refuses_to_start_without_github_credentials(tmp_path: Path, prefix: str) -> None:
    worker = _worker(tmp_path, prefix, {})
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode != 0
    assert "GITHUB_TOKEN" in output and "GITHUB_APP_ID" in output


def test_worker_starts_with_a_token(tmp_path: Path, prefix: str) -> None:
    worker = _worker(tmp_path, prefix, {"GITHUB_TOKEN": "t0ken-value"})
    try:
        deadline, lines = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            lines.append(line)
            if " ready." in line or not line:
                break
        assert any(" ready." in line for line in lines), "".join(lines)
        assert not any("t0ken-value" in line for line in lines)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
