"""Maintainers command the bot from PR comments: `@migration-bot merge | rebase | skip | help`, over HTTP.

A person comments through the fake GitHub's API; the fake sends the signed `issue_comment` webhook to the
Flask app, which queues RUN_COMMAND on a real Redis (db 12). Most tests take each queued message off Redis
and run its Celery task in-process (`Task.apply`, the worker's code path minus the transport), so every
follow-up (judge, migrate, start) and every webhook those cause goes round the same loop; one test runs
a real Celery worker instead.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from flask.testing import FlaskClient
from github import Auth, Github

import workers.tasks  # noqa: F401 - registers the tasks on every app
from bot import markers
from bot.app import create_app
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.deliver import deliver
from tests.fake_github.fixtures import NO_THROTTLE, PAT
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import BOT_LOGIN, Pull
from tests.redis_db import flushed_db, private_url
from tests.rollout_world import CAMPAIGN_PATH, REPO, World, make_world
from workers.celery_app import make_celery
from workers.contract import EVENTS_QUEUE, MIGRATIONS_QUEUE, RUN_COMMAND, START_CAMPAIGN

pytestmark = pytest.mark.integration

REDIS_URL = private_url(12)
SECRET = "comment-commands-secret"
ALICE, ALICE_TOKEN = "alice", "ghp_alice0000000000000000000000000000000"
SOURCE = "from old.mod import Engine\n\nEngine()\n"
MERGE = "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge"
CORE, API = markers.branch_name("mig", "core"), markers.branch_name("mig", "api")


class Bot:
    """The web app on a real Redis, and a loop that runs the queued tasks in-process until all is quiet."""

    def __init__(self, fake: FakeGitHub, broker: redis.Redis, settings: Settings) -> None:
        self.fake, self.broker = fake, broker
        self.celery: Celery = make_celery(settings)
        self.client: FlaskClient = create_app(settings, celery=self.celery).test_client()
        fake.webhook_url, fake.webhook_secret = self.client, SECRET
        self.ran: list[str] = []

    def pump(self) -> None:
        """Delivers pending webhooks and runs queued tasks (and what they queue) until nothing is left."""
        while True:
            self.fake.wait_webhooks()
            raw = self.broker.rpop(EVENTS_QUEUE) or self.broker.rpop(MIGRATIONS_QUEUE)
            if raw is None:
                return
            message = json.loads(raw)
            args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
            name = message["headers"]["task"]
            self.ran.append(name)
            self.celery.tasks[name].apply(args=args, kwargs=kwargs)

    def start(self, sha: str) -> None:
        self.celery.tasks[START_CAMPAIGN].apply_async(
            kwargs={"repo": REPO, "installation_id": 1, "sha": sha, "path": CAMPAIGN_PATH})
        self.pump()


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    with flushed_db(REDIS_URL) as client:
        yield client


def command_world(fake: FakeGitHub, users: tuple[tuple[str, str, str], ...] = ((ALICE, ALICE_TOKEN, "write"),)
                  ) -> World:
    """Three categories of code (sequential rollout, no automerge) and `users` as (login, token, permission)."""
    made = make_world(fake, automerge=False)
    for category in ("core", "api", "web"):
        fake.commit_file(REPO, "main", f"{category}/mod.py", SOURCE, message=f"{category} code")
    for login, token, permission in users:
        fake.add_token(token, login)
        fake.set_permission(REPO, login, permission)
    return made


@pytest.fixture
def world(fake_github: FakeGitHub) -> World:
    return command_world(fake_github)


@pytest.fixture
def settings(fake_github: FakeGitHub, tmp_path: Path) -> Settings:
    workdir = tmp_path / "work"
    workdir.mkdir()
    return Settings(webhook_secret=SECRET, token=PAT, api_url=fake_github.api_url, redis_url=REDIS_URL,
                    workdir=str(workdir))


@pytest.fixture
def bot(world: World, broker: redis.Redis, settings: Settings) -> Bot:
    """The campaign started: the core category's PR is open (sequential rollout, no automerge)."""
    started = Bot(world.fake, broker, settings)
    started.start(world.main())
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE]
    started.ran.clear()
    return started


@pytest.fixture
def alice(fake_github: FakeGitHub) -> Iterator[Github]:
    client = Github(base_url=fake_github.api_url, auth=Auth.Token(ALICE_TOKEN), retry=None, **NO_THROTTLE)
    yield client
    client.close()


def say(alice: Github, number: int, text: str) -> int:
    return alice.get_repo(REPO).get_issue(number).create_comment(text).id


def pulls(world: World) -> dict[str, Pull]:
    return {p.head: p for p in world.fake.pulls(REPO)}


def bot_comments(world: World, number: int) -> list[str]:
    return [c.body for c in world.fake.comments(REPO, number) if c.user == BOT_LOGIN]


def reactions(world: World, comment_id: int) -> list[tuple[str, str]]:
    found = world.fake.find_comment(comment_id)
    assert found is not None
    return found[1].reactions


def test_merge_on_a_green_pull_merges_it_once(world: World, bot: Bot, alice: Github, github_client: Github) -> None:
    core = pulls(world)[CORE]
    github_client.get_repo(REPO).create_check_run(name="ci", head_sha=core.head_sha, status="completed",
                                                  conclusion="success")
    bot.pump()
    assert markers.LABEL_GREEN in world.pull(core.number).labels and not world.pull(core.number).merged

    comment_id = say(alice, core.number, "Checked the diff.\n\n@migration-bot merge")
    bot.pump()
    assert world.pull(core.number).merged and world.fake.count(MERGE) == 1
    assert reactions(world, comment_id) == [(BOT_LOGIN, "+1")]
    assert pulls(world)[API].state == "open"  # the merge moved the rollout on

    [payload] = [p for e, p in world.fake.emitted if e == "issue_comment" and p["comment"]["id"] == comment_id]
    assert deliver(bot.client, "issue_comment", payload, SECRET).status == 202  # a redelivery, new id
    bot.pump()
    assert RUN_COMMAND in bot.ran[-3:]
    assert world.fake.count(MERGE) == 1 and len(pulls(world)) == 2


def test_a_reader_is_refused_and_nothing_else_happens(world: World, bot: Bot, alice: Github) -> None:
    world.fake.set_permission(REPO, ALICE, "read")
    core = pulls(world)[CORE]
    labels, head = list(core.labels), core.head_sha
    comment_id = say(alice, core.number, "@migration-bot skip")
    bot.pump()
    assert bot.ran == [RUN_COMMAND]
    [reply] = bot_comments(world, core.number)
    assert "@alice" in reply and "write access" in reply
    assert reactions(world, comment_id) == [(BOT_LOGIN, "-1")]
    after = world.pull(core.number)
    assert (after.state, after.labels, after.head_sha) == ("open", labels, head)


def test_rebase_regenerates_the_branch_on_the_moved_default_branch(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    before = core.head_sha
    moved = world.fake.commit_file(REPO, "main", "README.md", "# moved on\n", message="main moves on")
    say(alice, core.number, "@migration-bot rebase")
    bot.pump()
    head = world.fake.branch_sha(REPO, CORE)
    assert head != before
    assert bare.git(world.bare, "rev-parse", f"{head}^").strip() == moved  # one bot commit on the new base
    assert bare.read_blob(world.bare, CORE, "README.md") == b"# moved on\n"
    assert bare.read_blob(world.bare, CORE, "core/mod.py") != SOURCE.encode()
    assert markers.parse_marker(world.pull(core.number).body).base_sha == moved
    assert len(world.fake.pulls(REPO)) == 1


def test_rebase_never_pushes_over_a_human_commit(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    human = world.fake.commit_file(REPO, CORE, "core/extra.py", "x = 1\n", message="a human fix")
    world.fake.commit_file(REPO, "main", "README.md", "# moved on\n", message="main moves on")
    say(alice, core.number, "@migration-bot rebase")
    bot.pump()
    assert world.fake.branch_sha(REPO, CORE) == human
    assert any("commits the bot did not make" in body and human[:12] in body
               for body in bot_comments(world, core.number))


def test_skip_closes_labels_and_starts_the_next_category(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    say(alice, core.number, "@migration-bot skip")
    bot.pump()
    after = world.pull(core.number)
    assert after.state == "closed" and not after.merged and markers.LABEL_SKIPPED in after.labels
    heads = [p.head for p in world.fake.pulls(REPO)]
    assert heads == [CORE, API]  # exactly one PR for the next category, though two starts were queued
    assert bot.ran.count(START_CAMPAIGN) == 2  # the command's own, and the one after the close webhook


def test_help_answers_with_the_verbs(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    say(alice, core.number, "@migration-bot help")
    bot.pump()
    [reply] = bot_comments(world, core.number)
    for verb in ("rebase", "merge", "cancel-merge", "retry", "skip", "help"):
        assert f"`@migration-bot {verb}`" in reply
    assert bot.ran == [RUN_COMMAND]  # the bot's own reply (which lists commands) triggers nothing


def test_skip_through_a_real_worker(world: World, bot: Bot, alice: Github, broker: redis.Redis) -> None:
    from celery.contrib.testing.worker import start_worker

    core = pulls(world)[CORE]
    with start_worker(bot.celery, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      queues=[EVENTS_QUEUE, MIGRATIONS_QUEUE]):
        say(alice, core.number, "@migration-bot skip")
        _wait_for(lambda: API in pulls(world) and _idle(world, broker))
    assert world.pull(core.number).state == "closed" and markers.LABEL_SKIPPED in world.pull(core.number).labels
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE, API]


def _idle(world: World, broker: redis.Redis) -> bool:
    world.fake.wait_webhooks()
    return not (broker.llen(EVENTS_QUEUE) or broker.llen(MIGRATIONS_QUEUE) or broker.hlen("unacked"))


def _wait_for(condition: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if condition() else 0
        if quiet >= 5:  # held for a while: the second start (after the close webhook) has run too
            return
        time.sleep(0.2)
    raise AssertionError(f"not done after {timeout_s}s")
