"""Steering a campaign over HTTP: new comment commands, the dashboard's checkboxes, pause and resume.

People act through the fake GitHub's API (a comment, an edit of the dashboard issue); the fake sends the
signed webhook to the Flask app, which queues on a real Redis (db 11); each queued task then runs
in-process (`Bot.pump`), so every follow-up and every webhook those cause goes round the same loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from github import Auth, Github

from bot import markers
from bot.rollout.dashboard import parse_data
from bot.settings import Settings
from tests.fake_github.fixtures import NO_THROTTLE, PAT
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import BOT_LOGIN, Issue
from tests.integration.test_comment_commands import (
    SECRET,
    Bot,
    bot_comments,
    command_world,
    pulls,
    reactions,
    say,
)
from tests.redis_db import flushed_db, private_url
from tests.rollout_world import CAMPAIGN_PATH, REPO, World, campaign_text
from workers.contract import DASHBOARD_EDITED, MIGRATE_CATEGORY, RUN_COMMAND

pytestmark = pytest.mark.integration

REDIS_URL = private_url(11)
ALICE, ALICE_TOKEN = "alice", "ghp_alice0000000000000000000000000000000"
BOB, BOB_TOKEN = "bob", "ghp_bob000000000000000000000000000000000"
CORE, API, WEB = (markers.branch_name("mig", c) for c in ("core", "api", "web"))


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    with flushed_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def world(fake_github: FakeGitHub) -> World:
    return command_world(fake_github, ((ALICE, ALICE_TOKEN, "write"), (BOB, BOB_TOKEN, "read")))


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


def _client(fake: FakeGitHub, token: str) -> Iterator[Github]:
    client = Github(base_url=fake.api_url, auth=Auth.Token(token), retry=None, **NO_THROTTLE)
    yield client
    client.close()


@pytest.fixture
def alice(fake_github: FakeGitHub) -> Iterator[Github]:
    yield from _client(fake_github, ALICE_TOKEN)


@pytest.fixture
def bob(fake_github: FakeGitHub) -> Iterator[Github]:
    yield from _client(fake_github, BOB_TOKEN)


def dashboard(world: World) -> Issue:
    [issue] = world.fake.issues(REPO)
    return issue


def tick(person: Github, world: World, box: str) -> None:
    """`person` ticks `box` on the dashboard by editing the issue's body, as GitHub's UI does."""
    issue = dashboard(world)
    line = f"- [ ] <!-- migration-bot:box {box} -->"
    assert line in issue.body, f"no unticked box {box!r} in the dashboard"
    person.get_repo(REPO).get_issue(issue.number).edit(body=issue.body.replace(line, line.replace("[ ]", "[x]")))


def boxes(world: World) -> dict[str, bool]:
    return markers.ticked_boxes(dashboard(world).body)


# --- what every PR says ----------------------------------------------------------------------------


def test_every_pull_ends_with_the_commands_and_a_dashboard_link(world: World, bot: Bot) -> None:
    body = pulls(world)[CORE].body
    section = body[body.index("<summary>Commands</summary>"):]
    for verb in ("merge", "cancel-merge", "rebase", "recreate", "retry", "skip", "pause", "resume", "help"):
        assert f"`@migration-bot {verb}`" in section
    assert f"dashboard issue #{dashboard(world).number} " in section
    assert markers.parse_marker(body) is not None  # the marker stays last and readable


# --- new comment commands --------------------------------------------------------------------------


def test_recreate_is_rebase(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    moved = world.fake.commit_file(REPO, "main", "README.md", "# moved on\n", message="main moves on")
    comment_id = say(alice, core.number, "@migration-bot recreate")
    bot.pump()
    assert reactions(world, comment_id) == [(BOT_LOGIN, "+1")]
    assert MIGRATE_CATEGORY in bot.ran
    assert markers.parse_marker(world.pull(core.number).body).base_sha == moved


def test_cancel_merge_with_a_space(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    say(alice, core.number, "@migration-bot merge")
    bot.pump()
    assert markers.LABEL_MERGE_REQUESTED in world.pull(core.number).labels
    say(alice, core.number, "@migration-bot cancel merge")
    bot.pump()
    assert markers.LABEL_MERGE_REQUESTED not in world.pull(core.number).labels


def test_pause_stops_the_rollout_and_resume_starts_it_again(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    say(alice, core.number, "@migration-bot pause")
    bot.pump()
    assert parse_data(dashboard(world).body).paused_by == ALICE
    assert dashboard(world).body.startswith("**Paused** by @alice")
    assert any("is paused" in body for body in bot_comments(world, core.number))
    assert boxes(world).get("resume") is False and "pause" not in boxes(world)

    say(alice, core.number, "@migration-bot skip")  # would start `api` if the campaign ran
    bot.pump()
    assert world.pull(core.number).state == "closed"
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE]

    say(alice, core.number, "@migration-bot resume")
    bot.pump()
    assert parse_data(dashboard(world).body).paused_by is None
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE, API]


def test_a_reader_cannot_pause(world: World, bot: Bot, bob: Github) -> None:
    core = pulls(world)[CORE]
    comment_id = say(bob, core.number, "@migration-bot pause")
    bot.pump()
    assert reactions(world, comment_id) == [(BOT_LOGIN, "-1")]
    assert parse_data(dashboard(world).body).paused_by is None


def test_help_lists_every_command(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    say(alice, core.number, "@migration-bot help")
    bot.pump()
    [reply] = bot_comments(world, core.number)
    for verb in ("rebase", "recreate", "merge", "cancel-merge", "retry", "skip", "pause", "resume", "help"):
        assert f"`@migration-bot {verb}`" in reply
    assert bot.ran == [RUN_COMMAND]


# --- the dashboard's checkboxes --------------------------------------------------------------------


def test_start_box_opens_a_waiting_category_now(world: World, bot: Bot, alice: Github) -> None:
    assert boxes(world) == {"start:api": False, "start:web": False, "skip:core": False, "rebase-all": False,
                            "pause": False}
    tick(alice, world, "start:web")
    bot.pump()
    assert DASHBOARD_EDITED in bot.ran
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE, WEB]  # out of order: a maintainer asked
    assert "start:web" not in boxes(world) and not any(boxes(world).values())  # re-rendered, unticked


def test_a_box_ticked_without_write_access_is_unticked_with_a_reply(world: World, bot: Bot, bob: Github) -> None:
    tick(bob, world, "pause")
    bot.pump()
    issue = dashboard(world)
    assert boxes(world)["pause"] is False and parse_data(issue.body).paused_by is None
    [reply] = [c.body for c in world.fake.comments(REPO, issue.number) if c.user == BOT_LOGIN]
    assert "@bob" in reply and "write access" in reply and "pause" in reply
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE]


def test_pause_and_resume_boxes(world: World, bot: Bot, alice: Github) -> None:
    tick(alice, world, "pause")
    bot.pump()
    assert parse_data(dashboard(world).body).paused_by == ALICE and boxes(world)["resume"] is False
    tick(alice, world, "resume")
    bot.pump()
    assert parse_data(dashboard(world).body).paused_by is None and boxes(world)["pause"] is False


def test_skip_box_closes_the_category_and_moves_on(world: World, bot: Bot, alice: Github) -> None:
    core = pulls(world)[CORE]
    tick(alice, world, "skip:core")
    bot.pump()
    after = world.pull(core.number)
    assert after.state == "closed" and markers.LABEL_SKIPPED in after.labels
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE, API]
    assert "| skipped |" in dashboard(world).body


def test_retry_box_reopens_a_failed_category(world: World, bot: Bot, alice: Github, github_client: Github) -> None:
    core = pulls(world)[CORE]
    github_client.get_repo(REPO).create_check_run(name="ci", head_sha=core.head_sha, status="completed",
                                                  conclusion="failure")
    bot.pump()  # the check_run webhook: the judge closes it as failed
    assert world.pull(core.number).state == "closed" and boxes(world).get("retry:core") is False
    tick(alice, world, "retry:core")
    bot.pump()
    assert world.pull(core.number).state == "open" and MIGRATE_CATEGORY in bot.ran


def test_rebase_all_box_regenerates_every_open_pull(world: World, bot: Bot, alice: Github) -> None:
    moved = world.fake.commit_file(REPO, "main", "README.md", "# moved on\n", message="main moves on")
    tick(alice, world, "rebase-all")
    bot.pump()
    core = pulls(world)[CORE]
    assert markers.parse_marker(core.body).base_sha == moved


def test_edits_to_the_dashboard_text_are_restored(world: World, bot: Bot, alice: Github) -> None:
    issue = dashboard(world)
    original = issue.body
    alice.get_repo(REPO).get_issue(issue.number).edit(body="I rewrote this dashboard.")
    bot.pump()
    assert dashboard(world).body == original and len(world.fake.issues(REPO)) == 1


# --- settings reaching the PRs, schedule and cap ---------------------------------------------------


def bare_message(world: World, sha: str) -> str:
    from tests.fake_github import bare

    return bare.git(world.bare, "log", "-1", "--format=%B", sha)


def _restart_with(world: World, bot: Bot, text: str) -> None:
    world.fake.commit_file(REPO, "main", CAMPAIGN_PATH, text, message="campaign settings")
    bot.start(world.main())


def test_title_labels_reviewers_and_assignees_reach_the_pull(world: World, broker: redis.Redis,
                                                             settings: Settings) -> None:
    text = campaign_text(automerge="false") + (
        'pulls: {title: "refactor(migration): {category}", labels: [tech-debt, "area: tests"]}\n')
    text = text.replace('{name: core, priority: 0, paths: ["core/**/*.py"]}',
                        '{name: core, priority: 0, paths: ["core/**/*.py"], reviewers: [alice, octo/platform], '
                        'assignees: [bob]}')
    started = Bot(world.fake, broker, settings)
    _restart_with(world, started, text)
    [pull] = world.fake.pulls(REPO)
    assert pull.title == "refactor(migration): core"
    assert {"tech-debt", "area: tests", markers.LABEL_BOT} <= set(pull.labels)
    assert (pull.requested_reviewers, pull.requested_teams, pull.assignees) == (["alice"], ["platform"], ["bob"])
    commit = world.fake.branch_sha(REPO, CORE)
    assert commit and "refactor(migration): core" in bare_message(world, commit)


def test_a_reviewer_github_refuses_does_not_stop_the_pull(world: World, broker: redis.Redis,
                                                          settings: Settings) -> None:
    text = campaign_text(automerge="false").replace(
        '{name: core, priority: 0, paths: ["core/**/*.py"]}',
        '{name: core, priority: 0, paths: ["core/**/*.py"], reviewers: [alice]}')
    world.fake.fail("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", status=422, times=None)
    _restart_with(world, Bot(world.fake, broker, settings), text)
    [pull] = world.fake.pulls(REPO)
    assert pull.requested_reviewers == [] and markers.LABEL_BOT in pull.labels


def test_nothing_opens_outside_the_schedule(world: World, broker: redis.Redis, settings: Settings) -> None:
    from datetime import UTC, datetime

    today = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[datetime.now(UTC).weekday()]
    other = [d for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") if d != today]
    started = Bot(world.fake, broker, settings)
    _restart_with(world, started, campaign_text(automerge="false", schedule=f"{{days: [{', '.join(other)}]}}"))
    assert world.fake.pulls(REPO) == []
    _restart_with(world, started, campaign_text(automerge="false", schedule=f"{{days: [{today}]}}"))
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE]


def test_daily_cap_limits_the_pulls_opened(world: World, broker: redis.Redis, settings: Settings) -> None:
    started = Bot(world.fake, broker, settings)
    _restart_with(world, started, campaign_text(order="parallel", max_open=3, automerge="false", max_per_day=2))
    assert [p.head for p in world.fake.pulls(REPO)] == [CORE, API]
    assert sorted(n for n, _ in parse_data(dashboard(world).body).opened) == sorted(
        p.number for p in world.fake.pulls(REPO))


def test_branch_prefix_reaches_branches_and_the_rollout_follows_them(world: World, broker: redis.Redis,
                                                                     settings: Settings, alice: Github) -> None:
    started = Bot(world.fake, broker, settings)
    _restart_with(world, started, campaign_text(automerge="false") + "pulls: {branch_prefix: bots}\n")
    [core] = world.fake.pulls(REPO)
    assert core.head == "bots/mig/core"
    assert "| open |" in dashboard(world).body  # the dashboard finds the PR under its prefix
    say(alice, core.number, "@migration-bot skip")
    started.pump()
    assert [p.head for p in world.fake.pulls(REPO)] == ["bots/mig/core", "bots/mig/api"]
    assert world.fake.branch_sha(REPO, CORE) is None  # nothing under the default prefix
