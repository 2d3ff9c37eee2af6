"""Issue 4's story: a campaign file pushed to the fake GitHub becomes one PR per category, opened by a real
Celery worker (a subprocess) through a real Redis, once, even when the push comes twice or the worker dies.

Webhooks go from the fake to the Flask app signed; the app enqueues on Redis db 13; the worker clones from
and pushes to the fake's bare repositories over smart HTTP and opens PRs through its REST API.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient

from bot import gitops, markers
from bot.app import create_app
from bot.demo.sample import generate_sample_repo
from bot.forge.github import GitHubForge
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.deliver import deliver
from tests.fake_github.fixtures import PAT
from tests.fake_github.server import FakeGitHub
from tests.redis_db import flushed_db, private_url
from workers.contract import EVENTS_QUEUE, MIGRATIONS_QUEUE

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = private_url(13)
SECRET = "integration-webhook-secret"
REPO = "netra/backend"
CAMPAIGN_ID = "execution-engine-ssot"
CAMPAIGN_PATH = f".github/migrations/{CAMPAIGN_ID}.yml"
CATEGORIES = {"mission-critical": "tests/mission_critical/", "integration": "tests/integration/",
              "e2e": "tests/e2e/", "unit": "tests/unit/"}
#: test files kept per category folder: the demo sample's shape at a size a test run can afford
KEEP_PER_FOLDER = 3
#: the issue's budget for opening one category PR (start_campaign + migrate_category)
REST_BUDGET = 10


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("sample") / "repo"
    generate_sample_repo(root)
    for folder in CATEGORIES.values():
        for extra in sorted((root / folder).rglob("test_*.py"))[KEEP_PER_FOLDER:]:
            extra.unlink()
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def broker() -> Iterator[redis.Redis]:
    with flushed_db(REDIS_URL) as client:
        yield client


class Worker:
    """A real `celery worker` process on the test's Redis db; started and killed by its own pid only."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env, self.log_path = env, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> Worker:
        argv = [sys.executable, "-m", "celery", "-A", "tests.integration.worker_app:app", "worker", "-P", "solo",
                "-Q", f"{EVENTS_QUEUE},{MIGRATIONS_QUEUE}", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "-l", "INFO", "-n", f"test-{time.monotonic_ns()}@localhost"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture()
def world(fake_github: FakeGitHub, broker: redis.Redis, sample_files: dict[str, str],
          tmp_path: Path) -> Iterator[tuple[FakeGitHub, Worker]]:
    fake_github.create_repo(REPO, files=sample_files)
    workdir = tmp_path / "work"
    workdir.mkdir()
    settings = Settings(webhook_secret=SECRET, token=PAT, api_url=fake_github.api_url, redis_url=REDIS_URL,
                        workdir=str(workdir))
    client: FlaskClient = create_app(settings).test_client()
    fake_github.webhook_url, fake_github.webhook_secret = client, SECRET
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8",
           "GITHUB_TOKEN": PAT, "GITHUB_API_URL": fake_github.api_url, "REDIS_URL": REDIS_URL,
           "MIGRATION_BOT_WORKDIR": str(workdir)}
    worker = Worker(env, tmp_path / "worker.log").start()
    try:
        yield fake_github, worker
    finally:
        worker.stop()
    left = list(workdir.iterdir())
    assert len(left) <= worker.kills, f"temporary clones left behind: {left}"
    for path in left:  # a killed worker cannot clean up, but the token never reached the disk
        assert not any(PAT.encode() in f.read_bytes() for f in path.rglob("*") if f.is_file())


def _campaign(rollout: str) -> str:
    text = (ROOT / "bot/demo/campaign.yml").read_text()
    return re.sub(r"(?m)^rollout:.*$", f"rollout: {rollout}", text)


def _clone_url(fake: FakeGitHub) -> str:
    return GitHubForge(Settings(token=PAT, api_url=fake.api_url), None).repo(REPO).clone_url


def _push_campaign(fake: FakeGitHub, text: str, tmp_path: Path, clone_url: str | None = None) -> str:
    """A maintainer's real `git push` of the campaign file to main; returns the new head sha."""
    auth = gitops.GitAuth(PAT)
    clone = gitops.clone(clone_url or _clone_url(fake), tmp_path / "maintainer", rev="main", auth=auth)
    (clone / CAMPAIGN_PATH).parent.mkdir(parents=True, exist_ok=True)
    (clone / CAMPAIGN_PATH).write_text(text)
    gitops.commit_all(clone, "Add the ExecutionEngine campaign")
    gitops.push(clone, "main", expected=fake.branch_sha(REPO, "main"), auth=auth)
    fake.wait_webhooks()
    return gitops.head_sha(clone)


def _wait_idle(fake: FakeGitHub, broker: redis.Redis, pulls: int, timeout_s: float = 240.0) -> None:
    """Until `pulls` PRs exist and the queues and the unacknowledged set stay empty for a second."""
    deadline = time.monotonic() + timeout_s
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        fake.wait_webhooks()
        busy = (broker.llen(EVENTS_QUEUE) or broker.llen(MIGRATIONS_QUEUE) or broker.hlen("unacked")
                or len(fake.pulls(REPO)) < pulls)
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 1.5:
            return
        time.sleep(0.2)
    raise AssertionError(f"not idle after {timeout_s}s: {len(fake.pulls(REPO))} PRs")


def _assert_category_pull(fake: FakeGitHub, category: str, base_sha: str) -> None:
    [pull] = [p for p in fake.pulls(REPO) if p.head == markers.branch_name(CAMPAIGN_ID, category)]
    assert pull.state == "open" and pull.base == "main"
    assert pull.title.endswith(f": {category}")
    assert set(pull.labels) == {markers.LABEL_BOT, markers.campaign_label(CAMPAIGN_ID)}
    assert markers.parse_marker(pull.body) == markers.PullMarker(CAMPAIGN_ID, category, base_sha)
    assert "Validation **" in pull.body and "### Totals" in pull.body
    changed = bare.git(fake.repo(REPO).bare, "diff", "--name-only", base_sha, pull.head_sha).split()
    assert changed and all(path.startswith(CATEGORIES[category]) for path in changed)
    assert all(f"`{path}`" in pull.body for path in changed)
    author = bare.git(fake.repo(REPO).bare, "log", "-1", "--format=%ae", pull.head_sha).strip()
    assert author == markers.BOT_EMAIL


def _rest_calls(fake: FakeGitHub, since: int, until: int) -> list[str]:
    return [r.operation for r in fake.requests[since:until + 1] if "/git/" not in r.path]


def test_sequential_opens_the_first_category_once(world: tuple[FakeGitHub, Worker], broker: redis.Redis,
                                                  tmp_path: Path) -> None:
    fake, _ = world
    clone_url = _clone_url(fake)
    start = len(fake.requests)  # from here on, only the bot calls the REST API
    sha = _push_campaign(fake, _campaign("{order: sequential, max_open: 1}"), tmp_path, clone_url)
    _wait_idle(fake, broker, pulls=1)
    assert [p.head for p in fake.pulls(REPO)] == [markers.branch_name(CAMPAIGN_ID, "mission-critical")]
    _assert_category_pull(fake, "mission-critical", sha)

    labelled = max(i for i, r in enumerate(fake.requests) if r.operation.endswith("/labels"))
    calls = _rest_calls(fake, start, labelled)
    print(f"\nREST calls from push to a labelled category PR: {len(calls)}\n  " + "\n  ".join(calls))
    assert len(calls) <= REST_BUDGET

    [push_payload] = [p for e, p in fake.emitted if e == "push" and p["ref"] == "refs/heads/main"][-1:]
    head = fake.pulls(REPO)[0].head_sha
    again = deliver(fake.webhook_url, "push", push_payload, SECRET, delivery_id=fake.deliveries[0].delivery_id)
    assert again.status == 200  # the same delivery: acknowledged, not queued
    assert deliver(fake.webhook_url, "push", push_payload, SECRET).status == 202  # a redelivery, new id
    _wait_idle(fake, broker, pulls=1)
    assert len(fake.pulls(REPO)) == 1 and fake.pulls(REPO)[0].head_sha == head


def test_parallel_rollout_opens_max_open_pulls(world: tuple[FakeGitHub, Worker], broker: redis.Redis,
                                               tmp_path: Path) -> None:
    fake, _ = world
    sha = _push_campaign(fake, _campaign("{order: parallel, max_open: 4}"), tmp_path)
    _wait_idle(fake, broker, pulls=4)
    heads = sorted(p.head for p in fake.pulls(REPO))
    assert heads == sorted(markers.branch_name(CAMPAIGN_ID, c) for c in CATEGORIES)
    for category in CATEGORIES:
        _assert_category_pull(fake, category, sha)


def test_a_killed_worker_s_task_is_redelivered_once(world: tuple[FakeGitHub, Worker], broker: redis.Redis,
                                                    tmp_path: Path) -> None:
    fake, worker = world
    sha = _push_campaign(fake, _campaign("{order: sequential, max_open: 1}"), tmp_path)
    deadline = time.monotonic() + 120
    while "running tests" not in worker.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "running tests" in worker.log(), worker.log()[-3000:]
    worker.kill()  # mid-migration: cloned and applied, not yet pushed
    assert fake.pulls(REPO) == []
    assert broker.hlen("unacked") == 1  # acks_late: the message is still owed
    worker.start()
    _wait_idle(fake, broker, pulls=1)
    assert len(fake.pulls(REPO)) == 1
    _assert_category_pull(fake, "mission-critical", sha)
