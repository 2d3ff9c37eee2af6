"""A reconcile tick's reads: made once, writes noticed, and "nothing changed since a quiet tick" remembered."""

from __future__ import annotations

from pathlib import Path

from bot import gitops
from bot.forge.local import LocalForge
from tests.fake_github.server import FakeGitHub
from tests.rollout_world import REPO, make_world
from workers.jobs.tick import TickReads, forget, remember_quiet, unchanged_since_quiet

RUNS = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
PROTECTION = "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"


def test_checks_are_read_once_per_tick_and_reads_write_nothing(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")
    tick = TickReads(world.forge)
    first = tick.checks(REPO, pull.head_sha)
    assert tick.checks(REPO, pull.head_sha) == first and [c.conclusion for c in first] == ["success"]
    assert fake_github.count(RUNS) == 1
    tick.required_checks(REPO, "main")
    tick.required_checks(REPO, "main")
    assert fake_github.count(PROTECTION) == 1
    tick.get_pull(REPO, pull.number)
    tick.list_pulls(REPO, "migration-bot/")
    assert not tick.wrote
    assert TickReads(world.forge).checks(REPO, pull.head_sha) == first  # a new tick reads again
    assert fake_github.count(RUNS) == 2


def test_any_other_call_counts_as_a_write(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    tick = TickReads(world.forge)
    tick.add_labels(REPO, pull.number, ["x"])
    assert tick.wrote and "x" in world.pull(pull.number).labels


def test_a_quiet_tick_is_remembered_until_a_read_brings_news(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    forge = world.forge
    forge.checks(REPO, pull.head_sha)
    assert not unchanged_since_quiet(forge, REPO)  # nothing remembered yet (a restart)
    remember_quiet(forge, REPO)
    forge.checks(REPO, pull.head_sha)  # answered 304: nothing new
    assert unchanged_since_quiet(forge, REPO)
    world.check(pull.head_sha, "failure")
    forge.checks(REPO, pull.head_sha)  # a new answer
    assert not unchanged_since_quiet(forge, REPO)


def test_forget_clears_the_quiet_mark(fake_github: FakeGitHub) -> None:
    forge = make_world(fake_github).forge
    remember_quiet(forge, REPO)
    assert unchanged_since_quiet(forge, REPO)
    forget(forge, REPO)
    assert not unchanged_since_quiet(forge, REPO)


def test_a_forge_without_conditional_reads_is_always_judged(tmp_path: Path) -> None:
    (tmp_path / "o" / "r").mkdir(parents=True)
    (tmp_path / "o" / "r" / "a.txt").write_text("a\n")
    gitops.init_repository(tmp_path / "o" / "r")
    forge = LocalForge(tmp_path)
    remember_quiet(forge, "o/r")
    forget(forge, "o/r")
    assert not unchanged_since_quiet(forge, "o/r")
    remember_quiet(forge, "o/r")
    assert not unchanged_since_quiet(forge, "o/r")
