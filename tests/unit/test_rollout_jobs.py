"""Rollout jobs over HTTP against the fake GitHub (GitHubForge, real bare repositories), without Celery."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import gitops, markers
from tests.fake_github import bare
from tests.fake_github.server import FakeGitHub
from tests.rollout_world import CAMPAIGN_PATH, REPO, World, make_world
from workers.contract import MIGRATE_CATEGORY, START_CAMPAIGN
from workers.jobs import JobConfig
from workers.jobs import rollout as rollout_jobs

CLOSE = "PATCH /repos/{owner}/{repo}/pulls/{pull_number}"
MERGE = "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge"
COMMENT = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"


def judge(world: World, sha: str) -> list[str]:
    return rollout_jobs.judge_checks(world.forge, REPO, sha)


def test_failing_required_check_closes_with_table_and_label(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "failure")
    world.check(pull.head_sha, "success", name="optional-lint")

    assert judge(world, pull.head_sha) == ["comment #1", "addlabels #1", "close #1"]

    after = world.pull(1)
    assert after.state == "closed" and not after.merged
    assert markers.LABEL_FAILED in after.labels
    (comment,) = world.comments(1)
    assert "| ci | failure |" in comment and "optional-lint" not in comment
    assert fake_github.branch_sha(REPO, markers.branch_name("mig", "core")) == pull.head_sha  # branch kept


def test_same_event_twice_acts_once(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "failure")
    judge(world, pull.head_sha)
    assert judge(world, pull.head_sha) == []
    assert (fake_github.count(CLOSE), fake_github.count(COMMENT)) == (1, 1)
    assert len(world.comments(1)) == 1


def test_keep_on_failure_comments_and_labels_only(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, on_failure="keep")
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "timed_out")
    assert judge(world, pull.head_sha) == ["comment #1", "addlabels #1"]
    assert world.pull(1).state == "open"


def test_passing_with_automerge_merges_then_next_category_starts(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True, merge_method="squash")
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")

    assert judge(world, pull.head_sha) == ["addlabels #1", "merge #1"]
    merged = world.pull(1)
    assert merged.merged and merged.merge_commit_sha == world.main()
    assert bare.read_blob(world.bare, "main", "core/mod.py") == b"import new.mod\n"

    due = world.follow(rollout_jobs.pull_closed(world.forge, REPO, 1))
    assert due == [START_CAMPAIGN]
    assert world.enqueued == [(START_CAMPAIGN, {"repo": REPO, "sha": world.main(), "path": CAMPAIGN_PATH})]


def test_passing_without_automerge_only_labels_green(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")
    assert judge(world, pull.head_sha) == ["addlabels #1"]
    assert markers.LABEL_GREEN in world.pull(1).labels and world.pull(1).state == "open"
    assert fake_github.count(MERGE) == 0


def test_flaky_check_rerun_passing_before_the_bot_acts_merges(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "failure")
    world.check(pull.head_sha, "success")  # the re-run replaces the failed run
    assert judge(world, pull.head_sha) == ["addlabels #1", "merge #1"]
    assert world.pull(1).merged


def test_checks_of_a_stale_head_are_ignored(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True)
    pull = world.open_bot_pull("core")
    old = pull.head_sha
    world.check(old, "failure")
    fake_github.commit_file(REPO, markers.branch_name("mig", "core"), "core/extra.py", "x = 1\n")
    assert judge(world, old) == []
    assert world.pull(1).state == "open" and world.comments(1) == []


def test_pending_required_check_waits(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success", name="other")
    world.check(pull.head_sha, None)
    assert judge(world, pull.head_sha) == []


def test_branch_protection_wins_over_the_campaign_list(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True)
    fake_github.set_required_checks(REPO, "main", ["build"])
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "failure")  # "ci" is only the campaign's list
    world.check(pull.head_sha, "success", name="build")
    assert judge(world, pull.head_sha) == ["addlabels #1", "merge #1"]


def test_main_breaking_after_merge_opens_a_real_revert_and_pauses(fake_github: FakeGitHub, tmp_path: Path) -> None:
    world = make_world(fake_github, automerge=True, merge_method="merge")
    pull = world.open_bot_pull("core")
    before = world.main()
    world.check(pull.head_sha, "success")
    judge(world, pull.head_sha)
    merge_sha = world.pull(1).merge_commit_sha
    assert merge_sha
    world.check(merge_sha, "failure")
    workdir = tmp_path / "work"
    workdir.mkdir()

    done = rollout_jobs.judge_checks(world.forge, REPO, merge_sha, JobConfig(workdir=workdir))
    assert done == ["openrevert #1"]
    revert_branch = markers.revert_branch_name("mig", "core")
    revert = next(p for p in fake_github.pulls(REPO) if p.head == revert_branch)
    assert markers.parse_marker(revert.body) == markers.PullMarker("mig", "core", merge_sha, "revert")
    assert "| ci | failure |" in revert.body
    tip = bare.rev_parse(world.bare, f"refs/heads/{revert_branch}")
    assert bare.commit(world.bare, tip).parents == (merge_sha,)
    assert bare.git(world.bare, "rev-parse", f"{tip}^{{tree}}") == bare.git(world.bare, "rev-parse", f"{before}^{{tree}}")
    assert world.main() == merge_sha  # the default branch itself is untouched
    assert any(f"/pull/{revert.number}" in c and "paused" in c for c in world.comments(1))
    assert list(workdir.iterdir()) == []  # the clone is gone

    # paused: the next category's green PR does not merge, and the same event again opens nothing new
    assert rollout_jobs.judge_checks(world.forge, REPO, merge_sha) == ["openrevert #1"]
    assert sum(p.head == revert_branch for p in fake_github.pulls(REPO)) == 1
    assert world.follow(rollout_jobs.pull_closed(world.forge, REPO, 1)) == []
    nxt = world.open_bot_pull("api")
    world.check(nxt.head_sha, "success")
    assert judge(world, nxt.head_sha) == [f"addlabels #{nxt.number}"]


def test_auto_revert_merge_merges_the_revert_once_green(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True, auto_revert_merge=True)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")
    judge(world, pull.head_sha)
    merge_sha = world.pull(1).merge_commit_sha or ""
    world.check(merge_sha, "failure")
    judge(world, merge_sha)
    revert = next(p for p in fake_github.pulls(REPO) if p.head.endswith("-revert"))
    world.check(revert.head_sha, "success")
    assert judge(world, revert.head_sha) == [f"addlabels #{revert.number}", f"merge #{revert.number}"]
    assert bare.read_blob(world.bare, "main", "core/mod.py") == b"import old.mod\n"
    assert gitops.run_git(["log", "--oneline", "-3", "main"], cwd=world.bare)  # history kept, not rewritten


def test_reconcile_makes_up_for_dropped_webhooks(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True)
    failing = world.open_bot_pull("core")
    world.check(failing.head_sha, "failure")
    done = world.follow(rollout_jobs.reconcile_repo(world.forge, REPO))
    assert done == ["comment #1", "addlabels #1", "close #1"]
    assert world.enqueued == []  # sequential: a failed category waits for a human
    assert world.follow(rollout_jobs.reconcile_repo(world.forge, REPO)) == []


def test_reconcile_starts_the_next_category_after_a_missed_merge_event(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")
    judge(world, pull.head_sha)  # merged; the pull_request.closed delivery is lost
    world.check(world.main(), "success")
    done = world.follow(rollout_jobs.reconcile_repo(world.forge, REPO))
    assert done == ["start mig"]
    assert world.enqueued == [(START_CAMPAIGN, {"repo": REPO, "sha": "main", "path": CAMPAIGN_PATH})]


@pytest.mark.parametrize("order", ["parallel"])
def test_merge_regenerates_other_open_pulls_on_the_new_base(fake_github: FakeGitHub, order: str) -> None:
    world = make_world(fake_github, order=order, max_open=2, automerge=True)
    first = world.open_bot_pull("core")
    world.open_bot_pull("api")
    world.check(first.head_sha, "success")
    judge(world, first.head_sha)
    merge_sha = world.pull(1).merge_commit_sha
    world.follow(rollout_jobs.pull_closed(world.forge, REPO, 1))
    assert world.enqueued == [
        (MIGRATE_CATEGORY, {"repo": REPO, "sha": merge_sha, "campaign_path": CAMPAIGN_PATH, "category": "api"}),
        (START_CAMPAIGN, {"repo": REPO, "sha": merge_sha, "path": CAMPAIGN_PATH}),
    ]
