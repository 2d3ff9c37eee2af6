"""Scenario 6 of the reliability run: load. A stretch of signed deliveries with a realistic event mix
through the running gunicorn (latency, throughput, errors), then one campaign of many categories on a
large generated repository with 1 worker and with 4 (how the work spreads, and where it stops)."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import statistics
import threading
import time
import uuid
from typing import TYPE_CHECKING

from reliability_stack import PROJECT, SECRET
from reliability_world import HUMAN, push_commit

from bot import markers
from bot.signature import sign

if TYPE_CHECKING:
    from reliability import Bench, Row

PAYLOADS = PROJECT / "tests" / "payloads"
#: (payload file, event, weight): what an installed App sees most is CI chatter, then PR and push traffic
EVENT_MIX = [("check_run.completed.json", "check_run", 30), ("status.json", "status", 15),
             ("check_suite.completed.json", "check_suite", 10), ("workflow_run.completed.json", "workflow_run", 10),
             ("pull_request.synchronize.json", "pull_request", 10), ("push.json", "push", 10),
             ("issue_comment.created.json", "issue_comment", 8),
             ("pull_request_review.submitted.json", "pull_request_review", 4),
             ("pull_request.closed.merged.json", "pull_request", 2), ("ping.json", "ping", 1)]
REDELIVERY_SHARE = 0.02  #: GitHub's "Redeliver" button: the same delivery id again, answered 200


def _bodies() -> list[tuple[str, bytes, str, int]]:
    out = []
    for name, event, weight in EVENT_MIX:
        body = (PAYLOADS / name).read_bytes()
        out.append((event, body, sign(SECRET.encode(), body), weight))
    return out


def deliveries(bench: Bench, seconds: float, concurrency: int = 8) -> dict[str, float]:
    """Signed deliveries for `seconds` from `concurrency` keep-alive clients; latency, rate, errors."""
    mix = _bodies()
    choices = [(event, body, sig) for event, body, sig, weight in mix for _ in range(weight)]
    port = bench.stack.web_port
    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    seed = bench.rng.randrange(10**9)

    def client(index: int) -> None:
        import random

        rng = random.Random(seed + index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        codes: dict[int, int] = {}
        last_id = str(uuid.uuid4())
        while time.monotonic() < stop_at and len(mine) < 200_000:
            event, body, sig = rng.choice(choices)
            delivery = last_id if rng.random() < REDELIVERY_SHARE else str(uuid.uuid4())
            last_id = delivery
            headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
                       "X-Hub-Signature-256": sig, "User-Agent": "GitHub-Hookshot/reliability"}
            started = time.perf_counter()
            try:
                conn.request("POST", "/webhooks", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100)
    errors = sum(n for code, n in statuses.items() if code not in (200, 202))
    return {"deliveries": len(latencies), "seconds": elapsed, "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000,
            "rate": len(latencies) / elapsed, "errors": errors, "error_rate": errors / max(1, len(latencies)),
            "statuses": statuses}  # type: ignore[dict-item]


def _signal_workers(bench: Bench, sig: int) -> None:
    for proc in bench.stack.supervisor.named("worker"):
        if proc.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)


def _metrics(bench: Bench) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", bench.stack.web_port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    found = {}
    for name, labels, value in re.findall(r"^(migration_bot_queue_\w+)\{?([^}\s]*)\}? (\S+)$", text, re.M):
        found[f"{name}{{{labels}}}" if labels else name] = float(value)
    return found


def scenario_ingest(bench: Bench, seconds: float) -> Row:
    """Workers paused (SIGSTOP) so the queued jobs, which name repositories the fake does not have, are
    measured on /metrics and dropped instead of run; then the workers continue."""
    from reliability import Row

    _signal_workers(bench, signal.SIGSTOP)
    try:
        result = deliveries(bench, seconds)
        gauges = _metrics(bench)
        client = bench.stack.redis.client()
        queued = client.llen("events") + client.llen("migrations")
        client.delete("events", "migrations")
    finally:
        _signal_workers(bench, signal.SIGCONT)
    row = Row("6a load: signed deliveries")
    row.fixed = [row.scenario, f"{result['deliveries']:.0f}", "-", "-", "-", "-", f"{result['errors']:.0f}", "-", "-"]
    row.notes.append(f"{result['deliveries']:.0f} deliveries in {result['seconds']:.0f} s from 8 clients: "
                     f"{result['rate']:.0f}/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                     f"error rate {result['error_rate']:.2%} (answers {result['statuses']}); "
                     f"{queued} jobs queued; /metrics then said {gauges}")
    if result["errors"]:
        row.extra_failures.append(f"6a: {result['errors']:.0f} deliveries refused")
    return row


# -- 6b: one big campaign --------------------------------------------------------------------------------------
DEPRECATED = "from netra_backend.app.agents.supervisor.execution_engine import ExecutionEngine"


def big_repo(categories: int, files: int) -> dict[str, str]:
    """`files` Python files in `categories` packages; every file imports the deprecated engine."""
    out = {"README.md": "# generated\n"}
    per = files // categories
    for c in range(categories):
        for f in range(per):
            out[f"pkg{c:02d}/mod{f:03d}.py"] = (f"{DEPRECATED}\n\n\ndef make_{f}(registry, bridge):\n"
                                                f"    return ExecutionEngine(registry, bridge)\n")
    return out


def big_campaign(categories: int) -> str:
    lines = ["campaign: big", "title: Big migration", "rules:",
             "  - move: netra_backend.app.agents.supervisor.execution_engine.ExecutionEngine",
             "    to: netra_backend.app.agents.supervisor.user_execution_engine.UserExecutionEngine",
             "categories:"]
    lines += [f'  - {{name: pkg{c:02d}, priority: 0, paths: ["pkg{c:02d}/**/*.py"]}}' for c in range(categories)]
    lines.append(f"rollout: {{order: parallel, max_open: {categories}, automerge: false}}")
    return "\n".join(lines) + "\n"


def _big_run(bench: Bench, workers: int, categories: int, files: int, cap_s: float,
             ) -> tuple[float, int, dict[str, int], bool]:
    bench.stack.supervisor.resize("worker", workers)
    time.sleep(3.0)
    bench.serial += 1
    repo = f"octo/big-{workers}w-{bench.serial}"
    bench.fake.create_repo(repo, big_repo(categories, files))
    offsets = {p.name: p.log.stat().st_size if p.log.exists() else 0 for p in bench.stack.supervisor.named("worker")}
    started = time.monotonic()
    push_commit(bench.fake, repo, "main", {".github/migrations/big.yml": big_campaign(categories)}, "Add campaign",
                HUMAN)
    deadline = started + cap_s
    while time.monotonic() < deadline:
        opened = [p for p in bench.fake.pulls(repo) if markers.parse_branch(p.head)]
        if len(opened) >= categories:
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    per_head: dict[str, int] = {}
    for pull in bench.fake.pulls(repo):
        per_head[pull.head] = per_head.get(pull.head, 0) + 1
    jobs = {}
    for proc in bench.stack.supervisor.named("worker"):
        with proc.log.open("rb") as log:
            log.seek(offsets.get(proc.name, 0))
            text = log.read().decode(errors="replace")
        jobs[proc.name] = len(re.findall(r"migrate_category\[[^\]]+\] succeeded", text))
    ok = set(per_head.values()) <= {1}  # within the cap: every category opened so far has exactly one PR
    _drop_queued(bench, repo)
    return elapsed, len(per_head), jobs, ok


def _drop_queued(bench: Bench, repo: str) -> None:
    """A capped run leaves categories to do: its campaign file is removed (so the reconcile tick starts
    nothing more there) and the queues are emptied, so the next formation starts from nothing."""
    # an unreadable campaign file: the reconcile tick leaves it alone (bare.commit_files cannot delete in a bare repo)
    push_commit(bench.fake, repo, "main", {".github/migrations/big.yml": "stopped: true\n"}, "Stop the campaign", HUMAN)
    time.sleep(1.0)
    bench.stack.redis.client().delete("events", "migrations")


def scenario_big(bench: Bench, categories: int, files: int, formations: tuple[int, ...] = (1, 4),
                 cap_s: float = 900.0) -> Row:
    """Each formation runs until every category has its PR or `cap_s` passed; PRs/min is the measure."""
    from reliability import Row

    row = Row(f"6b {categories} categories / {files} files")
    before = len(bench.stack.supervisor.named("worker"))
    results = []
    try:
        for workers in formations:
            elapsed, opened, jobs, ok = _big_run(bench, workers, categories, files, cap_s)
            bench.wait_quiet(60)
            results.append((workers, elapsed, opened, ok))
            rate = opened / elapsed * 60
            row.notes.append(f"{workers} worker(s): {opened}/{categories} PRs in {elapsed:.0f} s ({rate:.1f} PRs/min"
                             f"{'' if opened == categories else f', all {categories} in ~{categories / rate:.0f} min'}); "
                             f"migrate jobs finished per worker {jobs}")
            if not ok:
                row.extra_failures.append(f"6b with {workers} workers: {opened}/{categories} categories with one PR")
    finally:
        bench.stack.supervisor.resize("worker", before)
    done = sum(opened == categories for _, _, opened, _ in results)
    rates = " / ".join(f"{opened / e * 60:.1f}" for _, e, opened, _ in results)
    one = all(ok for *_, ok in results)
    row.fixed = [row.scenario, str(len(results)), f"{done}/{len(results)}", "1" if one else "more than 1",
                 "-", "-", "-", "-", f"PRs/min {rates} ({' / '.join(f'{w}w' for w in formations)})"]
    return row

