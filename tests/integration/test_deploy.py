"""The Procfile's web line as a platform runs it: `$PORT` defaults, and `/metrics` under several gunicorn workers.

The line runs through `sh -c` (what honcho and foreman do) with three workers; unsigned deliveries are spread
over them on fresh connections, and every `/metrics` answer, whichever worker gives it, counts them all.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client import CONTENT_TYPE_LATEST

from tests.redis_db import private_url

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DELIVERIES = 24


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sh", "-c", procfile()["web"]], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                time.sleep(0.1)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The web process on a free port, three workers, PROMETHEUS_MULTIPROC_DIR left to the Procfile's default."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(PORT=str(port), WEB_CONCURRENCY="3", TMPDIR=str(tmp_path), GITHUB_WEBHOOK_SECRET="deploy-secret",
               REDIS_URL=private_url(8))
    metrics_dir = tmp_path / "migration-bot-metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # from an earlier run: the web line clears it
    for _ in _serve(env, port):
        yield f"http://127.0.0.1:{port}", metrics_dir


def _unsigned_total(text: str) -> float:
    match = re.search(r'^migration_bot_webhook_deliveries_total\{event="other",outcome="unsigned"\} (\S+)$', text,
                      re.MULTILINE)
    return float(match[1]) if match else 0.0


def _unsigned(url: str, i: int) -> int:
    with requests.Session() as fresh:  # a new connection each time: gunicorn spreads them over workers
        return fresh.post(f"{url}/webhooks", data=b"{}", timeout=10,
                          headers={"X-GitHub-Event": "push", "X-GitHub-Delivery": f"d-{i}",
                                   "Content-Type": "application/json"}).status_code


def test_metrics_sum_every_worker(web: tuple[str, Path]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url, metrics_dir = web
    sent = 0
    with ThreadPoolExecutor(12) as pool:  # concurrent, so more than one worker is busy, however loaded the machine
        while sent < 20 * DELIVERIES:
            assert set(pool.map(lambda i: _unsigned(url, i), range(sent, sent + DELIVERIES))) == {401}
            sent += DELIVERIES
            if len({p.name for p in metrics_dir.glob("counter_*.db")}) >= 2:
                break
    assert len({p.name for p in metrics_dir.glob("counter_*.db")}) >= 2, "the deliveries reached one worker only"
    for _ in range(6):
        with requests.Session() as fresh:
            answer = fresh.get(f"{url}/metrics", timeout=10)
        assert answer.status_code == 200
        content_type = answer.headers["Content-Type"]
        assert content_type == CONTENT_TYPE_LATEST and content_type.count("charset=") == 1
        assert _unsigned_total(answer.text) == sent


def test_port_has_a_default() -> None:
    assert "${PORT:-8000}" in procfile()["web"]


def test_secrets_are_ignored_by_git() -> None:
    from bot.gitops import run_git

    paths = ["deploy/.env", "deploy/github-app.pem", "some/where/key.pem"]
    ignored = run_git(["check-ignore", "--no-index", *paths], cwd=ROOT).split()
    assert ignored == paths


def test_compose_sets_up_metrics_and_documents_the_key_permissions() -> None:
    import yaml

    text = (ROOT / "deploy/compose.yaml").read_text()
    compose = yaml.safe_load(text)
    assert compose["services"]["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert compose["services"]["web"]["environment"]["GITHUB_PRIVATE_KEY_PATH"] == "/run/secrets/github-app.pem"
    assert "uid 10001" in text and "chown 10001 deploy/github-app.pem" in text
    assert "USER bot" in (ROOT / "deploy/Dockerfile").read_text() and "--uid 10001" in (
        ROOT / "deploy/Dockerfile").read_text()
