"""Prometheus counters for webhook ingest, gauges read from the broker, and the ``GET /metrics`` view."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import redis
from flask import Blueprint, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.services import services
from workers.contract import EVENTS_QUEUE, MIGRATIONS_QUEUE

#: deliveries by event and outcome. `event` is a routed event name or "other" (unrouted, or not signed);
#: outcome: queued, duplicate, unsigned, forged, too_large, bad_headers, bad_json, bad_payload, unavailable, error
DELIVERIES = Counter(
    "migration_bot_webhook_deliveries_total",
    "Webhook deliveries received, by event and outcome.",
    ["event", "outcome"],
)
JOBS_QUEUED = Counter(
    "migration_bot_jobs_queued_total", "Tasks sent to the broker, by task and queue.", ["task", "queue"]
)
INGEST_SECONDS = Histogram(
    "migration_bot_webhook_seconds",
    "Time from request to response for POST /webhooks.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)

#: where the collector remembers which message it last saw at the head of each queue, and since when
HEAD_SEEN_KEY = "migration-bot:metrics:queue-head"
#: kombu's Redis transport: messages delivered to a worker and not yet acknowledged, scored by delivery time
UNACKED_INDEX_KEY = "unacked_index"


class QueueCollector(Collector):
    """Queue depth and age read from the broker's Redis lists at scrape time: one pipelined round trip
    (plus one write when a queue's head changed), nothing kept in the process, nothing when Redis is down.

    Celery messages carry no send time, so a queue's age is how long its head message has been the head,
    as seen by scrapes: a lower bound on the oldest task's wait, exact to the scrape interval, and what an
    alert on "the queue is not moving" needs. Running tasks are dated exactly, by the transport's own index.
    """

    def __init__(self, client: Any, queues: Sequence[str] = (EVENTS_QUEUE, MIGRATIONS_QUEUE), prefix: str = "") -> None:
        self._client, self._queues, self._prefix = client, tuple(queues), prefix

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depths, heads, seen, oldest_unacked = self._read()
        except redis.RedisError:
            return
        now = time.time()
        depth = GaugeMetricFamily("migration_bot_queue_depth", "Tasks waiting in a broker queue.", labels=["queue"])
        age = GaugeMetricFamily("migration_bot_queue_oldest_task_age_seconds",
                                "How long the task at the head of a queue has been waiting there.", labels=["queue"])
        changed = {}
        for queue, count, head in zip(self._queues, depths, heads, strict=True):
            depth.add_metric([queue], count)
            tag = _tag(head) if head is not None else ""
            known_tag, _, since = (seen.get(queue.encode()) or b"").decode().partition(" ")
            if tag and known_tag != tag:
                changed[queue], since = f"{tag} {now}", str(now)
            age.add_metric([queue], now - float(since) if tag and since else 0.0)
        if changed:
            self._client.hset(self._prefix + HEAD_SEEN_KEY, mapping=changed)
        yield depth
        yield age
        unacked = GaugeMetricFamily("migration_bot_task_oldest_unacked_age_seconds",
                                    "Age of the oldest task handed to a worker and not yet acknowledged.")
        unacked.add_metric([], now - oldest_unacked[0][1] if oldest_unacked else 0.0)
        yield unacked

    def _read(self) -> tuple[list[int], list[bytes | None], dict[bytes, bytes], list[tuple[bytes, float]]]:
        pipe = self._client.pipeline(transaction=False)
        for queue in self._queues:
            pipe.llen(self._prefix + queue)
        for queue in self._queues:
            pipe.lindex(self._prefix + queue, -1)  # LPUSH in, BRPOP out: the right end is the oldest
        pipe.hgetall(self._prefix + HEAD_SEEN_KEY)
        pipe.zrange(self._prefix + UNACKED_INDEX_KEY, 0, 0, withscores=True)
        answers = pipe.execute()
        n = len(self._queues)
        return answers[:n], answers[n:2 * n], answers[2 * n], answers[2 * n + 1]


def _tag(message: bytes) -> str:
    """The message's delivery tag (unique per publish); the whole body's hash when it cannot be read."""
    try:
        return str(json.loads(message)["properties"]["delivery_tag"])
    except (ValueError, KeyError, TypeError):
        return hashlib.sha256(message).hexdigest()[:32]


blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def metrics() -> Response:
    """The text exposition; under gunicorn with PROMETHEUS_MULTIPROC_DIR set it sums all workers.
    The queue gauges are read from the broker for each scrape, so every web process reports the same."""
    found = services()
    multiproc_dir = found.settings.prometheus_multiproc_dir
    registry = REGISTRY
    if multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)
    queues = CollectorRegistry(auto_describe=False)
    prefix = (found.celery.conf.broker_transport_options or {}).get("global_keyprefix", "")
    queues.register(QueueCollector(found.redis, prefix=prefix))
    # content_type, not mimetype: Flask would append a second "; charset=utf-8" to CONTENT_TYPE_LATEST
    return Response(generate_latest(registry) + generate_latest(queues), content_type=CONTENT_TYPE_LATEST)
