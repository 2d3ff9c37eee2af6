"""The command job over HTTP against the fake GitHub (GitHubForge, real bare repositories), without Celery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from github import Auth, Github

from bot import markers
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.fixtures import NO_THROTTLE
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import Pull
from tests.rollout_world import CAMPAIGN_PATH, REPO, World, make_world
from workers import tasks
from workers.celery_app import make_celery, settings_of
from workers.contract import JUDGE_CHECKS, MIGRATE_CATEGORY, RUN_COMMAND, START_CAMPAIGN
from workers.jobs import JobConfig
from workers.jobs import commands as command_jobs
from workers.locks import ThreadRepoLock

ALICE = "alice"
EDIT_PULL = "PATCH /repos/{owner}/{repo}/pulls/{pull_number}"
ADD_LABELS = "POST /repos/{owner}/{repo}/issues/{issue_number}/labels"


@pytest.fixture
def world(fake_github: FakeGitHub) -> World:
    made = make_world(fake_github)
    fake_github.add_token("ghp_alice", ALICE)
    fake_github.set_permission(REPO, ALICE, "write")
    return made


@pytest.fixture
def alice(fake_github: FakeGitHub) -> Iterator[Github]:
    client = Github(base_url=fake_github.api_url, auth=Auth.Token("ghp_alice"), retry=None, **NO_THROTTLE)
    yield client
    client.close()


def say(alice: Github, pull: Pull, text: str) -> int:
    """Alice comments on the PR over the API; the comment's id."""
    return alice.get_repo(REPO).get_issue(pull.number).create_comment(text).id


def run(world: World, pull: Pull, comment_id: int, *verbs: str, author: str = ALICE) -> list[str]:
    return world.follow(command_jobs.run_command(world.forge, REPO, pull.number, comment_id, author, list(verbs),
                                                 JobConfig(campaign_glob=".github/migrations/*.yml")))


def bot_comments(world: World, pull: Pull) -> list[str]:
    return [c.body for c in world.fake.comments(REPO, pull.number) if c.user == "migration-bot[bot]"]


def reactions(world: World, comment_id: int) -> list[tuple[str, str]]:
    found = world.fake.find_comment(comment_id)
    assert found is not None
    return found[1].reactions


@pytest.mark.parametrize(("permission", "allowed"),
                         [("admin", True), ("maintain", True), ("write", True), ("triage", False),
                          ("read", False), ("none", False)])
def test_write_access_is_needed(world: World, alice: Github, permission: str, allowed: bool) -> None:
    world.fake.set_permission(REPO, ALICE, permission)
    pull = world.open_bot_pull("core")
    comment_id = say(alice, pull, "@migration-bot merge")
    done = run(world, pull, comment_id, "merge")
    assert (markers.LABEL_MERGE_REQUESTED in world.pull(pull.number).labels) is allowed
    assert reactions(world, comment_id) == [("migration-bot[bot]", "+1" if allowed else "-1")]
    if not allowed:
        assert done == ["denied"] and world.enqueued == []
        [reply] = bot_comments(world, pull)
        assert "@alice" in reply and "write access" in reply and "`merge`" in reply


def test_a_stranger_is_denied_once_however_often_they_ask(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    for _ in range(2):
        run(world, pull, say(alice, pull, "@migration-bot skip"), "skip", author="mallory")
    assert len(bot_comments(world, pull)) == 1
    assert world.pull(pull.number).state == "open" and world.enqueued == []


def test_merge_records_the_request_and_asks_the_judge_once(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    comment_id = say(alice, pull, "@migration-bot merge")
    assert run(world, pull, comment_id, "merge") == ["merge-requested"]
    run(world, pull, comment_id, "merge")  # the same comment again (a redelivery, a retried task)
    assert world.pull(pull.number).labels.count(markers.LABEL_MERGE_REQUESTED) == 1
    assert world.fake.count(ADD_LABELS) == 1
    assert world.enqueued == [(JUDGE_CHECKS, {"repo": REPO, "sha": pull.head_sha})] * 2
    assert reactions(world, comment_id) == [("migration-bot[bot]", "+1")]


def test_cancel_merge_takes_the_label_off(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    run(world, pull, say(alice, pull, "@migration-bot merge"), "merge")
    assert run(world, pull, say(alice, pull, "@migration-bot cancel-merge"), "cancel-merge") == ["merge-cancelled"]
    assert markers.LABEL_MERGE_REQUESTED not in world.pull(pull.number).labels


def test_rebase_regenerates_on_the_default_branch_head(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    moved = world.fake.commit_file(REPO, "main", "README.md", "moved\n", message="main moves on")
    assert run(world, pull, say(alice, pull, "@migration-bot rebase"), "rebase") == ["rebase"]
    assert world.enqueued == [(MIGRATE_CATEGORY, {"repo": REPO, "sha": moved, "campaign_path": CAMPAIGN_PATH,
                                                  "category": "core"})]


def test_rebase_on_a_closed_pull_points_at_retry(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    world.forge.edit_pull(REPO, pull.number, state="closed")
    assert run(world, pull, say(alice, pull, "@migration-bot rebase"), "rebase") == []
    assert world.enqueued == [] and world.pull(pull.number).state == "closed"
    [reply] = bot_comments(world, pull)
    assert "closed" in reply and "@migration-bot retry" in reply


def test_retry_reopens_a_failed_pull_and_migrates_again(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    world.forge.add_labels(REPO, pull.number, [markers.LABEL_FAILED])
    world.forge.edit_pull(REPO, pull.number, state="closed")
    comment_id = say(alice, pull, "@migration-bot retry")
    assert run(world, pull, comment_id, "retry") == ["reopen", "retry"]
    assert run(world, pull, comment_id, "retry") == ["retry"]  # open now: not reopened twice
    after = world.pull(pull.number)
    assert after.state == "open" and markers.LABEL_FAILED in after.labels  # the judge takes it off on a pass
    assert world.fake.count(EDIT_PULL) == 2  # the close above and one reopen
    assert [task for task, _ in world.enqueued] == [MIGRATE_CATEGORY, MIGRATE_CATEGORY]


def test_skip_labels_closes_and_moves_the_rollout_on(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    comment_id = say(alice, pull, "@migration-bot skip")
    assert run(world, pull, comment_id, "skip") == ["close", "skip"]
    assert run(world, pull, comment_id, "skip") == ["skip"]
    after = world.pull(pull.number)
    assert after.state == "closed" and not after.merged and markers.LABEL_SKIPPED in after.labels
    assert world.fake.count(EDIT_PULL) == 1
    start = (START_CAMPAIGN, {"repo": REPO, "sha": world.main(), "path": CAMPAIGN_PATH})
    assert world.enqueued == [start, start]


def test_retry_takes_a_skip_back(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    run(world, pull, say(alice, pull, "@migration-bot skip"), "skip")
    run(world, pull, say(alice, pull, "@migration-bot retry"), "retry")
    after = world.pull(pull.number)
    assert after.state == "open" and markers.LABEL_SKIPPED not in after.labels


@pytest.mark.parametrize(("verbs", "reaction", "unknown"),
                         [(["help"], "+1", False), (["unknown"], "confused", True), (["help", "unknown"], "+1", True)])
def test_help_lists_the_verbs(world: World, alice: Github, verbs: list[str], reaction: str, unknown: bool) -> None:
    pull = world.open_bot_pull("core")
    comment_id = say(alice, pull, "@migration-bot help")
    run(world, pull, comment_id, *verbs)
    [reply] = bot_comments(world, pull)
    for verb in ("rebase", "merge", "cancel-merge", "retry", "skip", "help"):
        assert f"`@migration-bot {verb}`" in reply
    assert ("did not understand" in reply) is unknown
    assert reactions(world, comment_id) == [("migration-bot[bot]", reaction)]
    assert world.enqueued == []


def test_a_pull_without_marker_is_not_a_campaign_pull(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    world.forge.edit_pull(REPO, pull.number, body="a human rewrote the description")
    assert run(world, pull, say(alice, pull, "@migration-bot rebase"), "rebase", "skip") == []
    [reply] = bot_comments(world, pull)
    assert "not a campaign pull request" in reply and "`rebase`" in reply and "`skip`" in reply
    assert world.enqueued == [] and world.pull(pull.number).state == "open"


def test_a_merged_pull_is_left_alone(world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    world.forge.merge_pull(REPO, pull.number, sha=pull.head_sha, method="squash", title="core")
    assert run(world, pull, say(alice, pull, "@migration-bot skip"), "merge", "rebase", "skip") == []
    [reply] = bot_comments(world, pull)
    assert reply.count("already merged") == 3
    assert world.enqueued == [] and markers.LABEL_SKIPPED not in world.pull(pull.number).labels


@pytest.fixture
def eager(tmp_path: Path) -> Celery:
    import workers.tasks  # noqa: F401 - registers RUN_COMMAND on every app

    settings = Settings(eager=True, redis_url="memory://", workdir=str(tmp_path))
    celery = make_celery(settings)
    celery.conf.update(result_backend="cache+memory://", broker_url="memory://", task_eager_propagates=False)
    return celery


def run_task(eager: Celery, world: World, pull: Pull, comment_id: int, *verbs: str) -> Any:
    """RUN_COMMAND through its Celery task (eager), its follow-ups sent by name to the same app."""
    runtime = tasks.Runtime(settings_of(eager), lambda installation_id: world.forge, ThreadRepoLock())
    kwargs = {"repo": REPO, "installation_id": None, "number": pull.number, "comment_id": comment_id,
              "author": ALICE, "commands": list(verbs)}
    with tasks.using(runtime):
        return eager.tasks[RUN_COMMAND].apply(kwargs=kwargs, throw=False)


def test_the_task_retries_a_github_hiccup(eager: Celery, world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    comment_id = say(alice, pull, "@migration-bot cancel-merge")
    world.fake.fail("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", status=502, times=1)
    result = run_task(eager, world, pull, comment_id, "cancel-merge")
    assert result.successful() and result.result == ["merge-cancelled"]
    assert reactions(world, comment_id) == [("migration-bot[bot]", "+1")]


def test_the_task_says_a_permanent_refusal_on_the_pull(eager: Celery, world: World, alice: Github) -> None:
    pull = world.open_bot_pull("core")
    world.forge.edit_pull(REPO, pull.number, state="closed")
    world.fake.fail(EDIT_PULL, status=422, times=1)  # GitHub refuses the reopen (e.g. the branch is gone)
    result = run_task(eager, world, pull, say(alice, pull, "@migration-bot retry"), "retry")
    assert result.failed()
    [reply] = bot_comments(world, pull)
    assert "could not run the command" in reply
    assert world.pull(pull.number).state == "closed"


def test_the_task_sends_follow_ups_after_releasing_the_lock(eager: Celery, world: World, alice: Github,
                                                            tmp_path: Path) -> None:
    """In eager mode the judge runs at once, in-process; it takes the same rollout lock, so it must come
    after the command released it (else it would wait and give up)."""
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")
    result = run_task(eager, world, pull, say(alice, pull, "@migration-bot merge"), "merge")
    assert result.successful(), result.traceback
    assert world.pull(pull.number).merged


def test_a_marker_pasted_into_a_human_pull_does_not_make_it_the_bot_s(world: World, alice: Github) -> None:
    bot_pull = world.open_bot_pull("core")
    # a human's branch off main, with the bot's marker copied into the description
    bare.update_ref(world.bare, "refs/heads/feature/x", world.main())
    human = world.fake.open_pull(REPO, "feature/x", "main", "My change", bot_pull.body, ALICE)
    assert run(world, human, say(alice, human, "@migration-bot skip"), "skip") == []
    assert world.pull(human.number).state == "open" and world.enqueued == []
    [reply] = bot_comments(world, human)
    assert "not a campaign pull request" in reply
