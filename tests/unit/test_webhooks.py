"""webhooks: POST /webhooks and GET /healthz over a real Redis and a real Celery app on a Redis broker.

Dedupe keys live in Redis db 13, broker messages in db 14 under a per-test key prefix; both are removed after.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from celery import Celery
from flask.testing import FlaskClient

from bot.app import create_app
from bot.settings import Settings
from bot.signature import sign
from bot.webhooks import DELIVERY_KEY
from tests.redis_db import private_url
from workers.celery_app import make_celery
from workers.contract import START_CAMPAIGN

SECRET = "test-webhook-secret"
DEDUPE_URL = private_url(13)
BROKER_URL = private_url(14)
SHA = "c" * 40
CAMPAIGN = ".github/migrations/engine.yml"
PUSH = {
    "ref": "refs/heads/main",
    "after": SHA,
    "deleted": False,
    "repository": {"full_name": "octo/app", "default_branch": "main"},
    "installation": {"id": 77},
    "commits": [{"id": SHA, "distinct": True, "added": [CAMPAIGN], "modified": [], "removed": []}],
}


@dataclass
class Broker:
    celery: Celery
    prefix: str
    client: redis.Redis

    def messages(self, queue: str) -> list[tuple[str, dict[str, Any]]]:
        """(task name, kwargs) of each message waiting in `queue`, decoded from kombu's wire format."""
        found = []
        for raw in self.client.lrange(self.prefix + queue, 0, -1):
            message = json.loads(raw)
            assert message["content-type"] == "application/json"
            _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append((message["headers"]["task"], kwargs))
        return found


@pytest.fixture
def settings() -> Settings:
    return Settings(webhook_secret=SECRET, redis_url=BROKER_URL, max_body=4096)


def _celery(settings: Settings, prefix: str) -> Celery:
    celery = make_celery(settings)
    celery.conf.broker_transport_options = {
        **celery.conf.broker_transport_options,
        "global_keyprefix": prefix,
    }
    return celery


@pytest.fixture
def broker(settings: Settings) -> Iterator[Broker]:
    prefix = f"test-webhooks-{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(BROKER_URL)
    yield Broker(_celery(settings, prefix), prefix, client)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def dedupe() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(DEDUPE_URL)
    yield client
    for key in client.scan_iter(match=DELIVERY_KEY.format("test-*")):
        client.delete(key)
    client.close()


@pytest.fixture
def client(settings: Settings, broker: Broker, dedupe: redis.Redis) -> FlaskClient:
    return create_app(settings, celery=broker.celery, redis_client=dedupe).test_client()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port nobody listens on for the test's duration (bound, never listening: connect is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def deliver(
    client: FlaskClient,
    event: str,
    payload: Any = None,
    *,
    body: bytes | None = None,
    delivery: str | None = None,
    signature: str | None = "sign",
) -> Any:
    body = json.dumps(payload).encode() if body is None else body
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or f"test-{uuid.uuid4()}"}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(SECRET.encode(), body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/webhooks", data=body, headers=headers, content_type="application/json")


def test_valid_push_queues_exactly_one_start(client: FlaskClient, broker: Broker) -> None:
    response = deliver(client, "push", PUSH)
    assert (response.status_code, response.json["queued"]) == (202, [START_CAMPAIGN])
    kwargs = {"repo": "octo/app", "installation_id": 77, "sha": SHA, "path": CAMPAIGN}
    assert broker.messages("events") == [(START_CAMPAIGN, kwargs)]
    assert broker.messages("migrations") == []


def test_ping_is_accepted_and_queues_nothing(client: FlaskClient, broker: Broker) -> None:
    response = deliver(client, "ping", {"zen": "Design for failure.", "hook_id": 1})
    assert (response.status_code, response.json["queued"]) == (202, [])
    assert broker.messages("events") == []


@pytest.mark.parametrize(
    ("signature", "why"),
    [
        (None, "unsigned"),
        (sign(b"not the secret", json.dumps(PUSH).encode()), "wrong secret"),
        ("sha256=" + "0" * 64, "forged digest"),
        (sign(SECRET.encode(), json.dumps(PUSH).encode()).removeprefix("sha256="), "no prefix"),
    ],
)
def test_bad_signature_is_refused_and_queues_nothing(
    client: FlaskClient, broker: Broker, dedupe: redis.Redis, signature: str | None, why: str
) -> None:
    delivery = f"test-{uuid.uuid4()}"
    response = deliver(client, "push", PUSH, delivery=delivery, signature=signature)
    assert response.status_code == 401, why
    assert broker.messages("events") == []
    assert dedupe.exists(DELIVERY_KEY.format(delivery)) == 0, "a refused delivery must not burn its id"


def test_tampered_body_is_refused(client: FlaskClient, broker: Broker) -> None:
    signed = sign(SECRET.encode(), json.dumps(PUSH).encode())
    tampered = json.dumps({**PUSH, "after": "d" * 40}).encode()
    assert deliver(client, "push", body=tampered, signature=signed).status_code == 401
    assert broker.messages("events") == []


def test_oversized_body_is_refused_before_parsing(client: FlaskClient, broker: Broker) -> None:
    body = b"{" + b"x" * 5000  # signed, over the 4096-byte cap, and not JSON: 413 proves it was never parsed
    response = deliver(client, "push", body=body)
    assert response.status_code == 413
    assert broker.messages("events") == []


def test_oversized_body_without_content_length_is_cut_off(client: FlaskClient, broker: Broker) -> None:
    body = json.dumps({**PUSH, "padding": "x" * 5000}).encode()
    response = client.post(
        "/webhooks",
        input_stream=io.BytesIO(body),
        headers={
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"test-{uuid.uuid4()}",
            "X-Hub-Signature-256": sign(SECRET.encode(), body),
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets for a chunked request
    )
    assert response.status_code == 413
    assert broker.messages("events") == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
def test_malformed_json_is_400(client: FlaskClient, broker: Broker, body: bytes) -> None:
    assert deliver(client, "push", body=body).status_code == 400
    assert broker.messages("events") == []


def test_replayed_delivery_is_acknowledged_and_not_queued_again(
    client: FlaskClient, broker: Broker, dedupe: redis.Redis
) -> None:
    delivery = f"test-{uuid.uuid4()}"
    assert deliver(client, "push", PUSH, delivery=delivery).status_code == 202
    replay = deliver(client, "push", PUSH, delivery=delivery)
    assert (replay.status_code, replay.json["duplicate"]) == (200, True)
    assert len(broker.messages("events")) == 1
    assert 0 < dedupe.ttl(DELIVERY_KEY.format(delivery)) <= 86400


def test_concurrent_replays_queue_once(client: FlaskClient, broker: Broker, dedupe: redis.Redis) -> None:
    """Eight threads (each with its own dedupe client and producer) race one delivery id: one wins."""
    delivery, statuses, lock = f"test-{uuid.uuid4()}", [], threading.Lock()
    app = client.application

    def send() -> None:
        status = deliver(app.test_client(), "push", PUSH, delivery=delivery).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 7 + [202]
    assert len(broker.messages("events")) == 1


def test_broker_down_answers_503_and_releases_the_delivery(
    settings: Settings, dedupe: redis.Redis, closed_port: int
) -> None:
    dead = _celery(Settings(webhook_secret=SECRET, redis_url=f"redis://127.0.0.1:{closed_port}/0"), "x:")
    client = create_app(settings, celery=dead, redis_client=dedupe).test_client()
    delivery = f"test-{uuid.uuid4()}"
    response = deliver(client, "push", PUSH, delivery=delivery)
    assert (response.status_code, response.json["delivery"]) == (503, delivery)
    assert dedupe.exists(DELIVERY_KEY.format(delivery)) == 0, (
        "GitHub's redelivery must not look like a replay"
    )


def test_handler_failure_is_a_500_naming_the_delivery(
    client: FlaskClient, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    broken = {**PUSH, "repository": {"default_branch": "main"}}  # no full_name: the handler raises
    delivery = f"test-{uuid.uuid4()}"
    response = deliver(client, "push", broken, delivery=delivery)
    assert (response.status_code, response.json["delivery"]) == (500, delivery)
    assert any(getattr(r, "delivery_id", None) == delivery for r in caplog.records)
    assert broker.messages("events") == []


def test_missing_event_header_is_400(client: FlaskClient) -> None:
    body = json.dumps(PUSH).encode()
    response = client.post(
        "/webhooks", data=body, headers={"X-Hub-Signature-256": sign(SECRET.encode(), body)}
    )
    assert response.status_code == 400


def test_healthz_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"redis": "ok", "broker": "ok", "sandbox": "bwrap"})


def test_healthz_names_an_unreachable_redis(settings: Settings, broker: Broker, closed_port: int) -> None:
    down = redis.Redis(port=closed_port, socket_connect_timeout=1)
    client = create_app(settings, celery=broker.celery, redis_client=down).test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (503, {"redis": "down", "broker": "ok", "sandbox": "bwrap"})


def test_healthz_names_an_unreachable_broker(
    settings: Settings, dedupe: redis.Redis, closed_port: int
) -> None:
    dead = make_celery(Settings(webhook_secret=SECRET, redis_url=f"redis://127.0.0.1:{closed_port}/0"))
    client = create_app(settings, celery=dead, redis_client=dedupe).test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (503, {"redis": "ok", "broker": "down", "sandbox": "bwrap"})


def test_metrics_count_outcomes(client: FlaskClient) -> None:
    def forged() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith('migration_bot_webhook_deliveries_total{event="push",outcome="forged"}'):
                return float(line.split()[-1])
        return 0.0

    before = forged()
    deliver(client, "push", PUSH, signature="sha256=" + "1" * 64)
    assert forged() == before + 1
