"""The queue gauges on /metrics: depth, the age of each queue's head, the oldest unacknowledged task,
read from a real Redis broker at scrape time (and left out, not failing the scrape, when Redis is down)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient

from bot.app import create_app
from bot.settings import Settings
from tests.redis_db import key_prefix, private_url
from workers.celery_app import make_celery
from workers.contract import EVENTS_QUEUE, MIGRATIONS_QUEUE, START_CAMPAIGN

URL = private_url(11)


@pytest.fixture
def prefix() -> Iterator[str]:
    with key_prefix(URL, "test-metrics") as value:
        yield value


@pytest.fixture
def app_client(prefix: str) -> FlaskClient:
    settings = Settings(webhook_secret="s", redis_url=URL)
    celery = make_celery(settings)
    celery.conf.broker_transport_options = {**celery.conf.broker_transport_options, "global_keyprefix": prefix}
    return create_app(settings, celery=celery, redis_client=redis.Redis.from_url(URL)).test_client()


def gauges(client: FlaskClient) -> dict[str, float]:
    text = client.get("/metrics").text
    return {f"{name}{labels}": float(value)
            for name, labels, value in re.findall(r"^(migration_bot_(?:queue|task)_\w+)(\{[^}]*\})? (\S+)$", text, re.M)}


def send(client: FlaskClient) -> None:
    celery = client.application.extensions["migration_bot"].celery
    celery.send_task(START_CAMPAIGN, kwargs={"repo": "o/r"}, queue=EVENTS_QUEUE)


def test_depth_and_head_age_follow_the_queue(app_client: FlaskClient, prefix: str) -> None:
    assert gauges(app_client)[f'migration_bot_queue_depth{{queue="{EVENTS_QUEUE}"}}'] == 0
    send(app_client)
    send(app_client)
    first = gauges(app_client)
    assert first[f'migration_bot_queue_depth{{queue="{EVENTS_QUEUE}"}}'] == 2
    assert first[f'migration_bot_queue_depth{{queue="{MIGRATIONS_QUEUE}"}}'] == 0
    assert first[f'migration_bot_queue_oldest_task_age_seconds{{queue="{EVENTS_QUEUE}"}}'] < 1
    time.sleep(1.2)
    stuck = gauges(app_client)[f'migration_bot_queue_oldest_task_age_seconds{{queue="{EVENTS_QUEUE}"}}']
    assert stuck >= 1.2
    redis.Redis.from_url(URL).rpop(prefix + EVENTS_QUEUE)  # a worker took the head: the next one is new there
    moved = gauges(app_client)
    assert moved[f'migration_bot_queue_depth{{queue="{EVENTS_QUEUE}"}}'] == 1
    assert moved[f'migration_bot_queue_oldest_task_age_seconds{{queue="{EVENTS_QUEUE}"}}'] < 1


def test_oldest_unacknowledged_task_is_dated_by_the_transport(app_client: FlaskClient, prefix: str) -> None:
    assert gauges(app_client)["migration_bot_task_oldest_unacked_age_seconds"] == 0
    client = redis.Redis.from_url(URL)
    client.zadd(prefix + "unacked_index", {"tag-old": time.time() - 30, "tag-new": time.time()})
    assert 30 <= gauges(app_client)["migration_bot_task_oldest_unacked_age_seconds"] < 40


def test_scrape_without_redis_has_no_queue_gauges() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
        client = create_app(Settings(webhook_secret="s", redis_url=url)).test_client()
        response = client.get("/metrics")
    assert response.status_code == 200
    assert "migration_bot_webhook_deliveries_total" in response.text
    assert "migration_bot_queue_depth" not in response.text
