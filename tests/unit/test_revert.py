"""The revert job over the fake GitHub: a real `git revert` on its own branch, found or opened once."""

from __future__ import annotations

from pathlib import Path

from bot import markers
from bot.forge.base import CheckResult, PullInfo
from bot.rollout.actions import OpenRevert
from tests.fake_github import bare
from tests.fake_github.server import FakeGitHub
from tests.rollout_world import BOT_AUTHOR, REPO, World, make_world
from workers.jobs.revert import open_revert

BRANCH = markers.revert_branch_name("mig", "core")
SOURCE = "from old.mod import Engine\n"
CREATE_PULL = "POST /repos/{owner}/{repo}/pulls"


def merged(world: World) -> tuple[PullInfo, OpenRevert]:
    """The core PR merged with a merge commit, and the revert its failing checks call for."""
    pull = world.open_bot_pull("core")
    sha = world.forge.merge_pull(REPO, pull.number, sha=pull.head_sha, method="merge", title="Merge core")
    failing = (CheckResult("ci", "completed", "failure", "https://ci.example/1", sha),)
    return world.forge.get_pull(REPO, pull.number), OpenRevert("mig", "core", sha, failing)


def test_opens_a_revert_of_the_merge_on_its_own_branch(fake_github: FakeGitHub, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    world = make_world(fake_github)
    before = world.main()
    original, action = merged(world)
    revert = open_revert(world.forge, world.forge.repo(REPO), original, action, workdir)
    assert revert is not None and revert.head_ref == BRANCH and revert.base_ref == "main"
    assert revert.title == f"Revert {original.title}"
    assert markers.parse_marker(revert.body) == markers.PullMarker("mig", "core", action.merge_sha, "revert")
    assert "| ci | failure |" in revert.body and f"#{original.number}" in revert.body
    assert {markers.LABEL_BOT, markers.campaign_label("mig")} <= set(world.pull(revert.number).labels)
    tip = bare.rev_parse(world.bare, f"refs/heads/{BRANCH}")
    assert bare.git(world.bare, "rev-parse", f"{tip}^{{tree}}") == bare.git(world.bare, "rev-parse", f"{before}^{{tree}}")
    assert world.main() == action.merge_sha and list(workdir.iterdir()) == []  # the clone is gone


def test_a_second_run_finds_the_revert_and_pushes_nothing(fake_github: FakeGitHub, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    world = make_world(fake_github)
    original, action = merged(world)
    first = open_revert(world.forge, world.forge.repo(REPO), original, action, workdir)
    tip = bare.rev_parse(world.bare, f"refs/heads/{BRANCH}")
    again = open_revert(world.forge, world.forge.repo(REPO), original, action, workdir)
    assert again is not None and first is not None and again.number == first.number
    assert bare.rev_parse(world.bare, f"refs/heads/{BRANCH}") == tip
    assert fake_github.count(CREATE_PULL) == 1


def test_a_branch_pushed_before_a_crash_is_reused(fake_github: FakeGitHub, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    world = make_world(fake_github)
    original, action = merged(world)
    bare.update_ref(world.bare, f"refs/heads/{BRANCH}", world.main())  # pushed, then the run stopped
    bare.commit_files(world.bare, BRANCH, {"core/mod.py": SOURCE}, "Revert core", BOT_AUTHOR)
    pushed = bare.rev_parse(world.bare, f"refs/heads/{BRANCH}")
    revert = open_revert(world.forge, world.forge.repo(REPO), original, action, workdir)
    assert revert is not None and revert.head_sha == pushed  # no second revert commit made


def test_a_revert_a_maintainer_closed_is_left_closed(fake_github: FakeGitHub, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    world = make_world(fake_github)
    original, action = merged(world)
    first = open_revert(world.forge, world.forge.repo(REPO), original, action, workdir)
    assert first is not None
    world.forge.edit_pull(REPO, first.number, state="closed")
    assert open_revert(world.forge, world.forge.repo(REPO), original, action, workdir) is None
    assert fake_github.count(CREATE_PULL) == 1
