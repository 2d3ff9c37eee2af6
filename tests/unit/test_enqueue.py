"""enqueue: the web side's Publisher puts what send_task would on a real Redis broker, and a real worker runs it.

Broker keys live in Redis db 14 under a per-test key prefix and are removed afterwards; the restart test runs
its own redis-server on a free port.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from kombu.exceptions import OperationalError

from bot.enqueue import Publisher, publisher_for
from bot.settings import Settings
from tests.redis_db import key_prefix, private_url
from workers.celery_app import make_celery
from workers.contract import EVENTS_QUEUE, START_CAMPAIGN, Job

ROOT = Path(__file__).parents[2]
BROKER_URL = private_url(14)
RECORD_TASK = "tests.enqueue.record"
KWARGS = {"repo": "octo/app", "installation_id": 77, "sha": "c" * 40, "path": ".github/migrations/a.yml"}


def _prefixed_celery(url: str, prefix: str) -> Celery:
    celery = make_celery(Settings(redis_url=url))
    celery.conf.broker_transport_options = {
        **celery.conf.broker_transport_options,
        "global_keyprefix": prefix,
    }
    return celery


@pytest.fixture
def prefix() -> Iterator[str]:
    with key_prefix(BROKER_URL, "test-enqueue") as prefix:
        yield prefix


@pytest.fixture
def celery(prefix: str) -> Celery:
    return _prefixed_celery(BROKER_URL, prefix)


def _messages(prefix: str, queue: str) -> list[dict[str, Any]]:
    """The raw kombu envelopes waiting in `queue`, oldest first."""
    client = redis.Redis.from_url(BROKER_URL)
    try:
        return [json.loads(raw) for raw in reversed(client.lrange(prefix + queue, 0, -1))]
    finally:
        client.close()


def _body(message: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(message["body"]))


@pytest.mark.parametrize(
    ("url", "eager", "fast"),
    [(BROKER_URL, False, True), (BROKER_URL, True, False), (BROKER_URL.replace("redis://", "rediss://"), False, False)],
)
def test_fast_path_only_for_a_plain_redis_broker(url: str, eager: bool, fast: bool) -> None:
    assert Publisher(make_celery(Settings(redis_url=url, eager=eager))).fast is fast


def test_one_publisher_per_app(celery: Celery) -> None:
    assert publisher_for(celery) is publisher_for(celery)
    assert publisher_for(celery) is not publisher_for(make_celery(Settings(redis_url=BROKER_URL)))


def test_message_is_the_one_send_task_would_publish(celery: Celery, prefix: str) -> None:
    (task_id,) = publisher_for(celery).publish([Job(START_CAMPAIGN, KWARGS, EVENTS_QUEUE)])
    celery.send_task(START_CAMPAIGN, kwargs=dict(KWARGS), queue=EVENTS_QUEUE, ignore_result=True)
    ours, stock = _messages(prefix, EVENTS_QUEUE)
    assert ours["headers"]["id"] == task_id
    per_message = {"id", "root_id", "correlation_id", "delivery_tag"}

    def comparable(message: dict[str, Any]) -> dict[str, Any]:
        headers = {k: v for k, v in message["headers"].items() if k not in per_message}
        properties = {k: v for k, v in message["properties"].items() if k not in per_message}
        rest = {k: v for k, v in message.items() if k not in ("headers", "properties", "body")}
        return {"headers": headers, "properties": properties, "body": _body(message), **rest}

    assert comparable(ours) == comparable(stock)
    assert _body(ours) == [[], KWARGS, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]


def test_jobs_keep_their_order_and_queue(celery: Celery, prefix: str) -> None:
    jobs = [
        Job(START_CAMPAIGN, {"n": n}, queue) for n, queue in enumerate(["events", "migrations", "events"])
    ]
    publisher_for(celery).publish(jobs)
    assert [_body(m)[1] for m in _messages(prefix, "events")] == [{"n": 0}, {"n": 2}]
    assert [_body(m)[1] for m in _messages(prefix, "migrations")] == [{"n": 1}]


def test_threads_publish_concurrently_without_losing_a_message(celery: Celery, prefix: str) -> None:
    publisher, sent, lock = publisher_for(celery), [], threading.Lock()

    def send(thread: int) -> None:
        ids = [publisher.publish([Job(START_CAMPAIGN, {"t": thread, "i": i})])[0] for i in range(25)]
        with lock:
            sent.extend(ids)

    threads = [threading.Thread(target=send, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = [m["headers"]["id"] for m in _messages(prefix, EVENTS_QUEUE)]
    assert sorted(found) == sorted(sent) and len(set(found)) == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_server(port: int) -> subprocess.Popen[bytes]:
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


def test_long_lived_connection_survives_a_broker_restart() -> None:
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    publisher = Publisher(make_celery(Settings(redis_url=url)))
    job = Job(START_CAMPAIGN, KWARGS)
    server = _redis_server(port)
    try:
        publisher.publish([job])
        server.terminate()
        server.wait(timeout=10)
        with pytest.raises((OperationalError, redis.RedisError)):
            publisher.publish([job])
        server = _redis_server(port)
        (task_id,) = publisher.publish([job])
        with redis.Redis(port=port) as client:
            (raw,) = client.lrange(EVENTS_QUEUE, 0, -1)  # the restarted server kept nothing
        assert json.loads(raw)["headers"]["id"] == task_id
    finally:
        server.terminate()
        server.wait(timeout=10)


WORKER_APP = """
    import json
    import redis
    from bot.settings import Settings
    from workers.celery_app import make_celery

    app = make_celery(Settings.from_env())
    app.conf.include = []
    app.conf.broker_transport_options = {{"visibility_timeout": 60, "global_keyprefix": "{prefix}"}}

    @app.task(name="{task}")
    def record(**kwargs):
        redis.Redis.from_url("{url}").rpush("{prefix}consumed", json.dumps(kwargs))
"""


def test_a_real_worker_consumes_what_the_fast_path_publishes(
    celery: Celery, prefix: str, tmp_path: Path
) -> None:
    publisher = publisher_for(celery)
    assert publisher.fast
    sent = [{"n": 1, **KWARGS}, {"n": 2, **KWARGS}]
    publisher.publish([Job(RECORD_TASK, kwargs) for kwargs in sent])
    app = WORKER_APP.format(prefix=prefix, task=RECORD_TASK, url=BROKER_URL)
    (tmp_path / "worker_app.py").write_text(textwrap.dedent(app))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": f"{ROOT}:{tmp_path}",
        "REDIS_URL": BROKER_URL,
        "GITHUB_TOKEN": "unused-token",
    }
    argv = [sys.executable, "-m", "celery", "-A", "worker_app", "worker", "--pool", "solo", "-Q", "events"]
    argv += ["--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "WARNING"]
    worker = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client = redis.Redis.from_url(BROKER_URL)
    try:
        consumed = [client.blpop([prefix + "consumed"], timeout=60) for _ in sent]
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=30)
        client.close()
    assert None not in consumed, errors.decode()
    assert [json.loads(value) for _key, value in consumed] == sent
    assert _messages(prefix, EVENTS_QUEUE) == []
