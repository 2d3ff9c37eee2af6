"""POST /webhooks: size cap -> signature -> JSON -> route -> dedupe -> enqueue -> 202. And GET /healthz."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import redis
from flask import Blueprint, Response, current_app, jsonify, request
from kombu.exceptions import KombuError

from bot import metrics, routes
from bot.enqueue import publisher_for
from bot.services import Services
from bot.services import services as _services
from bot.signature import verify
from workers.contract import Job

log = logging.getLogger(__name__)

DELIVERY_KEY = "migration-bot:delivery:{}"
#: app.extensions key of the per-thread dedupe clients (see _dedupe_client)
DEDUPE_CLIENTS = "migration_bot.dedupe_clients"
#: GitHub redelivers for days at most by hand; a day covers its automatic retries and replays
DELIVERY_TTL_S = 86400
_BROKER_ERRORS = (KombuError, redis.RedisError, OSError)

blueprint = Blueprint("webhooks", __name__)


def _answer(event: str, outcome: str, status: int, **body: Any) -> tuple[Response, int]:
    metrics.DELIVERIES.labels(event=event or "-", outcome=outcome).inc()
    return jsonify(body), status


@blueprint.post("/webhooks")
def receive() -> tuple[Response, int]:
    """The only catch-all of the web side: anything unexpected is a 500 with the delivery id logged."""
    started = time.perf_counter()
    delivery = request.headers.get("X-GitHub-Delivery", "")
    event = request.headers.get("X-GitHub-Event", "")
    try:
        return _receive(_services(), delivery, event)
    except Exception:
        log.exception("webhook failed", extra={"delivery_id": delivery, "event": event})
        return _answer(event, "error", 500, error="internal error", delivery=delivery)
    finally:
        metrics.INGEST_SECONDS.observe(time.perf_counter() - started)


def _receive(services: Services, delivery: str, event: str) -> tuple[Response, int]:
    settings = services.settings
    body = _read_capped(settings.max_body)
    if body is None:
        return _answer(event, "too_large", 413, error=f"body larger than {settings.max_body} bytes")
    signature = request.headers.get("X-Hub-Signature-256")
    if not verify(settings.require_webhook_secret(), body, signature):
        outcome = "forged" if signature else "unsigned"
        log.warning("rejected %s delivery", outcome, extra={"delivery_id": delivery, "event": event})
        return _answer(event, outcome, 401, error="missing or wrong X-Hub-Signature-256")
    payload = _parse(body)
    if payload is None:
        return _answer(event, "bad_json", 400, error="body is not a JSON object")
    if not delivery or not event:
        return _answer(event, "bad_headers", 400, error="X-GitHub-Delivery and X-GitHub-Event are required")
    jobs = routes.route(event, payload, settings)
    try:
        fresh = _queue_once(services, delivery, jobs)
    except _BROKER_ERRORS:
        log.exception("enqueue failed", extra={"delivery_id": delivery, "event": event})
        _forget(services.redis, delivery)
        return _answer(event, "unavailable", 503, error="broker unavailable", delivery=delivery)
    if not fresh:
        log.info("duplicate delivery", extra={"delivery_id": delivery, "event": event})
        return _answer(event, "duplicate", 200, duplicate=True, delivery=delivery)
    # per-delivery success is a DEBUG line: /metrics counts deliveries and the worker logs each task it runs
    log.debug(
        "delivery queued", extra={"delivery_id": delivery, "event": event, "tasks": [j.task for j in jobs]}
    )
    return _answer(event, "queued", 202, queued=[job.task for job in jobs], delivery=delivery)


def _read_capped(limit: int) -> bytes | None:
    """The raw body, or None when it is over `limit`: refused on Content-Length, else after limit+1 bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


def _parse(body: bytes) -> Mapping[str, Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _first_sighting(services: Services, delivery: str) -> bool:
    """Remember the delivery for a day; False when seen before. Redis trouble lets it through:
    dedupe only saves work, the tasks are idempotent."""
    try:
        client = _dedupe_client(services.redis)
        # SET key 1 NX EX ttl, sent as is: redis-py's set() inspects its arguments on every call
        key = DELIVERY_KEY.format(delivery)
        return bool(client.execute_command("SET", key, "1", "NX", "EX", DELIVERY_TTL_S))
    except redis.RedisError:
        log.warning("dedupe unavailable", extra={"delivery_id": delivery}, exc_info=True)
        return True


def _dedupe_client(shared: Any) -> Any:
    """This thread's client for the SET NX: a ``redis.Redis`` on `shared`'s pool holding one connection.

    A pooled command checks a connection out, polls it for stale data and returns it; holding one per
    thread skips that (~40 us a request). Kept in the app's extensions, so it goes away with the app.
    Other client types are used as given.
    """
    if type(shared) is not redis.Redis:
        return shared
    local = current_app.extensions.get(DEDUPE_CLIENTS)
    if local is None:
        local = current_app.extensions.setdefault(DEDUPE_CLIENTS, threading.local())
    client = getattr(local, "client", None)
    if client is None:
        client = redis.Redis(connection_pool=shared.connection_pool, single_connection_client=True)
        local.client = client
    return client


def _forget(client: Any, delivery: str) -> None:
    """Release the key after a failed enqueue, so GitHub's redelivery is not taken for a duplicate."""
    try:
        client.delete(DELIVERY_KEY.format(delivery))
    except redis.RedisError:
        log.warning("could not release delivery key", extra={"delivery_id": delivery}, exc_info=True)


def _queue_once(services: Services, delivery: str, jobs: list[Job]) -> bool:
    """Record the delivery, then queue its jobs; False when it was seen before (then nothing is queued).

    Every job's message is on the broker when this returns True (Celery's format, see bot.enqueue).
    Broker trouble raises (one of _BROKER_ERRORS).
    """
    if not _first_sighting(services, delivery):
        return False
    publisher_for(services.celery).publish(jobs)
    for job in jobs:
        metrics.JOBS_QUEUED.labels(task=job.task, queue=job.queue).inc()
    return True


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when Redis and the broker both answer; 503 naming the one that does not. Also says the
    configured sandbox mode of the workers (MIGRATION_BOT_SANDBOX)."""
    services = _services()
    report = {"redis": _check(services.redis.ping), "broker": _check(lambda: _ping_broker(services))}
    status = 200 if all(v == "ok" for v in report.values()) else 503
    return jsonify({**report, "sandbox": services.settings.sandbox}), status


def _ping_broker(services: Services) -> None:
    with services.celery.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


def _check(probe: Any) -> str:
    try:
        probe()
    except (*_BROKER_ERRORS, TimeoutError):
        return "down"
    return "ok"
