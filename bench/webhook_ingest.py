"""Benchmark: signed webhook ingest through gunicorn + Redis against a bare Flask endpoint, in one run.

Two gunicorn servers on 127.0.0.1 with identical settings (default: the Procfile's 2 gthread workers x 4 threads):
  ours   gunicorn 'bot.app:create_app()': size cap, HMAC check, JSON, Redis SET NX dedupe, routing,
         Celery message to a real Redis broker (one START_CAMPAIGN per delivery, bot.enqueue), 202
  bare   a Flask app whose POST /webhooks returns 202 without reading anything
Both get the same load: N signed push deliveries with unique delivery ids, C client threads, each with a
keep-alive http.client connection. Each run alternates rounds between the two (bare, ours, ...) so load from
elsewhere hits both alike, and prints deliveries/s, p50 and p99 latency and the ratio; the verdict (target:
ours >= 0.5x bare) is on the median ratio of the runs. Then it checks that exactly one broker message per
delivery arrived. Stops by itself; loopback only; the broker db's queues and the run's delivery keys are
removed afterwards.

    python bench/webhook_ingest.py [--runs 3] [--deliveries 2000] [--concurrency 8] [--rounds 4]
                                   [--workers 2] [--threads 4] [--worker-class gthread] [--redis-db 12]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis
    from flask import Flask

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))

from bot.signature import sign  # noqa: E402

SECRET = "bench-webhook-secret"
GUNICORN_QUIET = ["--log-level", "warning", "--no-control-socket"]
QUEUES = ("events", "migrations")
log = logging.getLogger("bench.webhook_ingest")


def bare_app() -> Flask:
    """The baseline: the same framework and server, an endpoint that does nothing."""
    from flask import Flask

    app = Flask("bare")
    app.add_url_rule("/webhooks", "webhooks", lambda: ("", 202), methods=["POST"])
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    return app


def push_body() -> bytes:
    """A push adding a campaign file, padded to the size of a typical small push payload (~6 KB)."""
    sha = "9" * 40
    commit = {
        "id": sha,
        "distinct": True,
        "message": "Add the engine migration campaign",
        "timestamp": "2024-05-01T12:00:00Z",
        "author": {"name": "Octo Cat", "email": "octocat@example.com", "username": "octocat"},
        "added": [".github/migrations/engine.yml"],
        "modified": [],
        "removed": [],
    }
    repository = {"id": 1, "full_name": "octo/app", "name": "app", "default_branch": "main", "private": False}
    repository.update(
        {f"{k}_url": f"https://api.github.com/repos/octo/app/{k}" for k in "abcdefghijklmnopqrst"}
    )
    payload = {
        "ref": "refs/heads/main",
        "before": "8" * 40,
        "after": sha,
        "created": False,
        "deleted": False,
        "forced": False,
        "commits": [commit],
        "head_commit": commit,
        "repository": repository,
        "installation": {"id": 99},
        "sender": {"login": "octocat", "id": 1, "type": "User", "avatar_url": "https://avatars.example/u/1"},
        "padding": "x" * 3000,
    }
    return json.dumps(payload).encode()


@dataclass(frozen=True)
class Result:
    name: str
    deliveries: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_settings(args: argparse.Namespace) -> list[str]:
    """The worker model, the same for both targets."""
    workers, threads = str(args.workers), str(args.threads)
    return ["--workers", workers, "--worker-class", args.worker_class, "--threads", threads]


def start_server(target: str, port: int, env: dict[str, str], settings: list[str]) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "gunicorn", target, "--bind", f"127.0.0.1:{port}", *settings]
    argv += [*GUNICORN_QUIET, "--pythonpath", f"{PROJECT},{HERE}"]
    return subprocess.Popen(argv, cwd=PROJECT, env={**os.environ, **env})


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} not ready after {timeout}s")


def drive(port: int, body: bytes, count: int, concurrency: int, tag: str) -> tuple[float, list[float], int]:
    """Send `count` signed deliveries over `concurrency` keep-alive connections; (seconds, latencies, errors)."""
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for i in range(count):
        work.put(f"bench-{tag}-{i}-{uuid.uuid4().hex[:8]}")
    signature = sign(SECRET.encode(), body)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        while True:
            try:
                delivery = work.get_nowait()
            except queue.Empty:
                break
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": signature,
            }
            started = time.perf_counter()
            conn.request("POST", "/webhooks", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            bad += response.status != 202
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors[0]


def measure(ports: dict[str, int], body: bytes, args: argparse.Namespace, run: int) -> list[Result]:
    """Alternate rounds (bare, ours, ...) so load from elsewhere hits both alike; [ours, bare]."""
    totals: dict[str, tuple[float, list[float], int]] = {name: (0.0, [], 0) for name in ports}
    per_round = args.deliveries // args.rounds
    for round_no in range(args.rounds):
        for name in ("bare", "ours"):
            seconds, latencies, errors = drive(
                ports[name], body, per_round, args.concurrency, f"{name}-{run}-{round_no}"
            )
            spent, seen, failed = totals[name]
            totals[name] = (spent + seconds, seen + latencies, failed + errors)
    results = []
    for name in ("ours", "bare"):
        seconds, latencies, errors = totals[name]
        cuts = statistics.quantiles(latencies, n=100)
        results.append(Result(name, len(latencies), seconds, cuts[49] * 1000, cuts[98] * 1000, errors))
    return results


def purge(client: redis.Redis) -> None:
    """Remove the broker queues, their bindings and this benchmark's delivery keys from the bench db."""
    for name in QUEUES:
        client.delete(name)
    for key in client.scan_iter(match="_kombu.binding*"):
        client.delete(key)
    for key in client.scan_iter(match="migration-bot:delivery:bench-*"):
        client.delete(key)


def report(runs: list[list[Result]], settings: list[str], queued: int, expected: int) -> float:
    """Print one row per run and target, and the verdict on the median ratio; returns that ratio."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"webhook ingest, both targets: gunicorn {' '.join(settings)}, loopback")
    for column in ("run", "target", "deliveries", "errors", "deliveries/s", "p50 ms", "p99 ms", "ratio"):
        table.add_column(column, justify="right")
    ratios = []
    for number, (ours, bare) in enumerate(runs, 1):
        ratios.append(ours.rate / bare.rate)
        for r in (ours, bare):
            ratio = f"{ratios[-1]:.2f}x" if r is ours else ""
            rate, p50, p99 = f"{r.rate:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}"
            table.add_row(str(number), r.name, str(r.deliveries), str(r.errors), rate, p50, p99, ratio)
    console = Console()
    console.print(table)
    median = statistics.median(ratios)
    verdict = "meets" if median >= 0.5 else "MISSES"
    console.print(f"ours / bare throughput, median of {len(runs)} runs: {median:.2f}x ({verdict} 0.5x)")
    console.print(f"messages on the broker's events queue: {queued} (expected {expected})")
    return median


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measurements; the verdict is on their median")
    parser.add_argument("--deliveries", type=int, default=2000, help="per target and run")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds a run is split into")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both targets)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (both targets)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (both targets)")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis db for dedupe and broker (not 0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import redis

    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    client = redis.Redis.from_url(redis_url)
    purge(client)
    env = {"GITHUB_WEBHOOK_SECRET": SECRET, "REDIS_URL": redis_url}
    ports, settings = {"bare": free_port(), "ours": free_port()}, gunicorn_settings(args)
    servers = [
        start_server("bot.app:create_app()", ports["ours"], env, settings),
        start_server("webhook_ingest:bare_app()", ports["bare"], env, settings),
    ]
    try:
        for port in ports.values():
            wait_ready(port)
        body = push_body()
        for name, port in ports.items():
            drive(port, body, args.warmup, args.concurrency, f"{name}-warm")
        log.info(
            "%d runs x %d deliveries per target, %d connections", args.runs, args.deliveries, args.concurrency
        )
        runs = [measure(ports, body, args, run) for run in range(args.runs)]
        expected = sum(ours.deliveries for ours, _bare in runs) + args.warmup
        queued = client.llen("events")
        report(runs, settings, queued, expected)
        return 0 if queued == expected and not any(r.errors for run in runs for r in run) else 1
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        purge(client)
        client.close()


if __name__ == "__main__":
    sys.exit(main())
