"""The dashboard job against the fake GitHub over HTTP: created once, edited on change, never re-posted."""

from __future__ import annotations

import pytest

from bot import markers
from bot.rollout.dashboard import FINISHED_LINE, parse_data
from tests.fake_github.server import FakeGitHub
from tests.rollout_world import CAMPAIGN_PATH, REPO, World, make_world
from workers.jobs import rollout
from workers.jobs.dashboard import update_dashboard

pytestmark = pytest.mark.integration

CREATE = "POST /repos/{owner}/{repo}/issues"
EDIT = "PATCH /repos/{owner}/{repo}/issues/{issue_number}"


@pytest.fixture
def world(fake_github: FakeGitHub) -> World:
    return make_world(fake_github)


def _writes(fake: FakeGitHub) -> tuple[int, int]:
    return fake.count(CREATE), fake.count(EDIT)


def _close(world: World, number: int, label: str) -> None:
    world.forge.add_labels(REPO, number, [label])
    world.forge.edit_pull(REPO, number, state="closed")


def test_created_once_edited_on_change_not_reposted(world: World) -> None:
    fake = world.fake
    core = world.open_bot_pull("core")
    first = update_dashboard(world.forge, REPO, CAMPAIGN_PATH)
    assert first.action == "created" and _writes(fake) == (1, 0)
    [issue] = fake.issues(REPO)
    assert issue.title == "Migration dashboard: Mig" and issue.labels == [markers.LABEL_BOT]
    assert f"| open | [#{core.number}]" in issue.body and issue.state == "open"
    assert issue.number > core.number  # one numbering with the PRs, as on GitHub

    start = len(fake.requests)
    again = update_dashboard(world.forge, REPO, CAMPAIGN_PATH, sha="main")
    assert (again.action, again.number) == ("unchanged", issue.number) and _writes(fake) == (1, 0)
    # campaign file, the campaign's PRs, the issue list: what a no-op costs after migrate_category
    assert len(fake.requests) - start == 3

    _close(world, core.number, markers.LABEL_FAILED)
    edited = update_dashboard(world.forge, REPO, CAMPAIGN_PATH)
    assert edited.action == "edited" and _writes(fake) == (1, 1)
    [issue] = fake.issues(REPO)
    assert "| failed |" in issue.body


def test_finished_campaign_says_so_and_closes_the_issue(world: World) -> None:
    fake = world.fake
    for category in ("core", "api", "web"):
        pull = world.open_bot_pull(category)
        _close(world, pull.number, markers.LABEL_SKIPPED)
        result = update_dashboard(world.forge, REPO, CAMPAIGN_PATH, now=f"t-{category}")
    assert result.finished and result.action == "edited"
    [issue] = fake.issues(REPO)
    assert issue.body.startswith(FINISHED_LINE) and issue.state == "closed"
    assert _writes(fake) == (1, 2)
    # a closed dashboard is still found (state=all): the next run edits nothing and opens nothing
    assert update_dashboard(world.forge, REPO, CAMPAIGN_PATH).action == "unchanged"
    assert _writes(fake) == (1, 2)
    assert [p.merged for p in parse_data(issue.body).history] == [0]


def test_judge_checks_updates_the_dashboard_after_acting(world: World) -> None:
    core = world.open_bot_pull("core")
    world.check(core.head_sha, None)
    assert rollout.judge_checks(world.forge, REPO, core.head_sha) == []
    assert world.fake.issues(REPO) == []  # nothing done: no dashboard write
    world.check(core.head_sha, "failure")
    assert rollout.judge_checks(world.forge, REPO, core.head_sha)
    [issue] = world.fake.issues(REPO)
    assert f"| failed | [#{core.number}]" in issue.body


def test_pull_closed_updates_the_dashboard(world: World) -> None:
    core = world.open_bot_pull("core")
    _close(world, core.number, markers.LABEL_SKIPPED)
    world.follow(rollout.pull_closed(world.forge, REPO, core.number))
    [issue] = world.fake.issues(REPO)
    assert "| skipped |" in issue.body and "1 of 3 categories done" in issue.body
