"""Prometheus counters for webhook ingest and the ``GET /metrics`` view that exposes them."""

from __future__ import annotations

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

from bot.services import services

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

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def metrics() -> Response:
    """The text exposition; under gunicorn with PROMETHEUS_MULTIPROC_DIR set it sums all workers."""
    multiproc_dir = services().settings.prometheus_multiproc_dir
    registry = REGISTRY
    if multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)
    # content_type, not mimetype: Flask would append a second "; charset=utf-8" to CONTENT_TYPE_LATEST
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
