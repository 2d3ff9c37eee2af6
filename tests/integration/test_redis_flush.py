"""Redis is flushed mid-campaign: a queued command, the delivery dedupe keys and a held lock are gone.

GitHub is the truth, so nothing is lost and nothing is done twice: the command comment the bot never
reacted to is found again by reconcile and carried out, webhooks delivered again after the flush (their
dedupe keys gone) and a migration run while a dead worker's lock key vanished open no second PR and never
push over the commit a human made on the bot's branch. The web app, the broker and the locks use a real
Redis (the session's private server, db 11); the queued tasks run in-process (`Task.apply`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from github import Auth, Github

from bot import markers
from bot.settings import Settings
from tests.fake_github.deliver import deliver
from tests.fake_github.fixtures import NO_THROTTLE, PAT
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import BOT_LOGIN
from tests.integration.test_comment_commands import ALICE_TOKEN, SECRET, Bot, command_world
from tests.redis_db import flushed_db, private_url
from tests.rollout_world import CAMPAIGN_PATH, REPO, World
from workers.contract import EVENTS_QUEUE, MIGRATE_CATEGORY, RECONCILE_CAMPAIGNS, START_CAMPAIGN
from workers.locks import RedisRepoLock

pytestmark = pytest.mark.integration

REDIS_URL = private_url(11)
CORE = markers.branch_name("mig", "core")
OPEN_PULL = "POST /repos/{owner}/{repo}/pulls"


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    with flushed_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def world(fake_github: FakeGitHub) -> World:
    return command_world(fake_github)


@pytest.fixture
def bot(world: World, broker: redis.Redis, tmp_path: Path) -> Bot:
    workdir = tmp_path / "work"
    workdir.mkdir()
    settings = Settings(webhook_secret=SECRET, token=PAT, api_url=world.fake.api_url, redis_url=REDIS_URL,
                        workdir=str(workdir))
    started = Bot(world.fake, broker, settings)
    started.start(world.main())
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE]
    return started


@pytest.fixture
def alice(fake_github: FakeGitHub) -> Iterator[Github]:
    client = Github(base_url=fake_github.api_url, auth=Auth.Token(ALICE_TOKEN), retry=None, **NO_THROTTLE)
    yield client
    client.close()


def test_a_flush_loses_nothing_and_doubles_nothing(world: World, bot: Bot, broker: redis.Redis,
                                                   alice: Github) -> None:
    fake = world.fake
    [core] = fake.pulls(REPO)
    comment = alice.get_repo(REPO).get_issue(core.number).create_comment("@migration-bot merge").id
    fake.wait_webhooks()
    assert broker.llen(EVENTS_QUEUE) == 1  # RUN_COMMAND queued, not yet run
    human = fake.commit_file(REPO, CORE, "core/notes.txt", "a maintainer's fix\n", message="fix by hand")
    delivered = list(fake.deliveries)
    opened = fake.count(OPEN_PULL)

    dead_worker = RedisRepoLock.from_url(REDIS_URL)
    with dead_worker.hold(REPO):  # a worker that dies holding the repository's lock...
        broker.flushdb()  # ...and Redis loses every key: the queued command, dedupe keys, the lock
        assert broker.dbsize() == 0
        for (event, payload), delivery in zip(fake.emitted, delivered, strict=False):
            if event != "issue_comment":  # GitHub redelivers (same ids): nothing remembers them any more
                assert deliver(bot.client, event, payload, SECRET, delivery.delivery_id).status == 202
        bot.pump()
        for _ in range(2):  # a duplicated start and migration, as a lost-then-resent message would be
            bot.celery.tasks[START_CAMPAIGN].apply(kwargs={"repo": REPO, "installation_id": 1, "sha": world.main(),
                                                           "path": CAMPAIGN_PATH})
            bot.celery.tasks[MIGRATE_CATEGORY].apply(kwargs={"repo": REPO, "installation_id": 1,
                                                             "sha": world.main(), "campaign_path": CAMPAIGN_PATH,
                                                             "category": "core"})
        bot.pump()

    assert fake.count(OPEN_PULL) == opened and [p.head for p in fake.pulls(REPO)] == [CORE]  # no second PR
    assert fake.branch_sha(REPO, CORE) == human  # the human's commit is still the head
    assert markers.LABEL_MERGE_REQUESTED not in world.pull(core.number).labels  # the command is still lost

    bot.celery.tasks[RECONCILE_CAMPAIGNS].apply(kwargs={"repos": [[REPO, 1]]})
    bot.pump()
    assert (BOT_LOGIN, "+1") in fake.find_comment(comment)[1].reactions  # type: ignore[index]
    assert markers.LABEL_MERGE_REQUESTED in world.pull(core.number).labels
    assert fake.branch_sha(REPO, CORE) == human and [p.head for p in fake.pulls(REPO)] == [CORE]

    ran = len(bot.ran)
    bot.celery.tasks[RECONCILE_CAMPAIGNS].apply(kwargs={"repos": [[REPO, 1]]})
    bot.pump()
    assert "workers.tasks.run_command" not in bot.ran[ran:]  # taken once: its reaction says so
