"""Per-file rollback on a generated repository of thirty changed files with a real pytest suite.

Each case runs the worker's `build_change` in a real git clone, the tests as real pytest runs (a plain
subprocess, and once in the workers' bubblewrap sandbox). The runs each search used are in its report,
checked against the bound for a lone culprit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import gitops, sandbox
from bot.campaign.load import parse_campaign
from bot.cli import EXIT_FINDINGS, EXIT_OK, main
from bot.engine.culprits import SearchStatus, lone_culprit_bound
from bot.engine.report import render_summary
from bot.engine.validate import TestStatus
from bot.sandbox import BwrapRunner, PlainRunner
from bot.testrun import TestSetup
from tests.rollback_repo import CATEGORY, MODULES, Planted, generate, module_path
from workers.change import CategoryChange, build_change

BRANCH = "migration-bot/engine-move/modules"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> TestSetup:
    return TestSetup(PlainRunner(), tmp_path_factory.mktemp("venvs"), setup_timeout=120)


def _change(root: Path, setup: TestSetup, planted: Planted, **campaign: object) -> tuple[CategoryChange, str]:
    root.mkdir()
    base = generate(root, planted, **campaign)  # type: ignore[arg-type]
    text = (root / ".github/migrations/engine-move.yml").read_text()
    change = build_change(root, parse_campaign(text, source="engine-move.yml"), CATEGORY, BRANCH, tests=setup)
    return change, base


def _committed(root: Path, base: str) -> set[str]:
    return set(gitops.run_git(["diff", "--name-only", base, "HEAD"], cwd=root).split())


def test_two_lone_culprits_are_rolled_back_and_the_rest_passes(tmp_path: Path, setup: TestSetup) -> None:
    change, base = _change(tmp_path / "repo", setup, Planted(lone=(6, 23)))
    search = change.report.rollback
    assert search is not None and search.status is SearchStatus.FOUND and search.rolled_back
    culprits = (module_path(6), module_path(23))
    assert search.files == culprits
    assert {c.tests for c in search.culprits} == {("tests/test_mod_06.py::test_run",),
                                                   ("tests/test_mod_23.py::test_run",)}
    assert all("TypeError" in c.excerpt for c in search.culprits)
    # two lone searches among 30 files, sharing the first confirming run
    assert search.candidates == MODULES
    assert search.runs <= 2 * lone_culprit_bound(MODULES) - 1
    # the branch: the other 28 files migrated, the culprits untouched; its tests pass
    assert _committed(tmp_path / "repo", base) == {module_path(i) for i in range(MODULES)} - set(culprits)
    for i in range(MODULES):
        text = (tmp_path / "repo" / module_path(i)).read_text()
        assert ("old_pkg" in text) == (module_path(i) in culprits)
    assert change.report.test_status is TestStatus.PASSED and change.report.tests is not None
    assert change.report.tests.after is not None and change.report.tests.after.counts is not None
    assert change.report.tests.after.counts.passed == MODULES
    assert not change.draft
    assert change.needs_human == culprits
    assert [f.path for f in change.report.files] == sorted(set(map(module_path, range(MODULES))) - set(culprits))
    body = render_summary(change.report, campaign_title="Move the engine")
    assert "### Rolled back: these files need a human" in body
    for path, test in zip(culprits, ("tests/test_mod_06.py::test_run", "tests/test_mod_23.py::test_run"),
                          strict=True):
        assert f"| `{path}` | `{test}` | `E " in body
        assert f"`@migration-bot retry {path}`" in body
    assert f"Culprit search: {search.runs} test run(s) over 30 changed file(s)" in body
    assert "files rolled back (need a human): 2" in body
    assert "Status: **passed**" in body


def test_a_pair_that_breaks_only_together_is_found(tmp_path: Path, setup: TestSetup) -> None:
    change, base = _change(tmp_path / "repo", setup, Planted(pair=(4, 19)))
    search = change.report.rollback
    assert search is not None and search.status is SearchStatus.FOUND
    assert [c.files for c in search.culprits] == [(module_path(4), module_path(19))]
    assert search.culprits[0].tests == ("tests/test_pair.py::test_both_register",)
    assert "registered already" in search.culprits[0].excerpt
    assert search.runs <= 2 * lone_culprit_bound(MODULES) - 2
    assert len(_committed(tmp_path / "repo", base)) == MODULES - 2
    assert change.report.test_status is TestStatus.PASSED
    assert "(only together)" in render_summary(change.report, campaign_title="t")


def test_a_flaky_test_is_not_blamed(tmp_path: Path, setup: TestSetup) -> None:
    counter = tmp_path / "flaky-runs"
    change, base = _change(tmp_path / "repo", setup, Planted(flaky_counter=counter, flaky_fails_on=(2,)))
    search = change.report.rollback
    assert search is not None and search.status is SearchStatus.FLAKY
    assert search.culprits == () and search.flaky == ("tests/test_flaky.py::test_sometimes",)
    assert search.runs == 1
    assert int(counter.read_text()) == 4  # baseline, after, the confirming re-run, the fresh verdict
    assert len(_committed(tmp_path / "repo", base)) == MODULES  # nothing rolled back
    assert change.report.test_status is TestStatus.PASSED and not change.draft
    assert change.needs_human == ()
    body = render_summary(change.report, campaign_title="t")
    assert "### Flaky tests" in body and "`tests/test_flaky.py::test_sometimes`" in body


def test_a_flaky_test_beside_a_culprit(tmp_path: Path, setup: TestSetup) -> None:
    counter = tmp_path / "flaky-runs"
    change, _ = _change(tmp_path / "repo", setup, Planted(lone=(11,), flaky_counter=counter, flaky_fails_on=(2,)))
    search = change.report.rollback
    assert search is not None and search.status is SearchStatus.FOUND
    assert search.files == (module_path(11),) and search.flaky == ("tests/test_flaky.py::test_sometimes",)
    assert search.runs <= lone_culprit_bound(MODULES)


def test_max_runs_is_honoured(tmp_path: Path, setup: TestSetup) -> None:
    change, base = _change(tmp_path / "repo", setup, Planted(lone=(6, 23)), max_runs=4)
    search = change.report.rollback
    assert search is not None and search.status is SearchStatus.GAVE_UP
    assert search.runs == 4 and "validate.max_runs" in search.reason
    assert len(_committed(tmp_path / "repo", base)) == MODULES  # the category stays whole
    assert change.report.test_status is TestStatus.FAILED and change.draft
    assert change.needs_human == ()
    body = render_summary(change.report, campaign_title="t")
    assert "### Culprit search gave up" in body and "used its 4 test runs (validate.max_runs)" in body


def test_rollback_category_names_the_culprits_and_keeps_the_category_whole(tmp_path: Path, setup: TestSetup) -> None:
    change, base = _change(tmp_path / "repo", setup, Planted(lone=(2,)), rollback="category")
    search = change.report.rollback
    assert search is not None and search.status is SearchStatus.FOUND and not search.rolled_back
    assert search.files == (module_path(2),)
    assert len(_committed(tmp_path / "repo", base)) == MODULES
    assert change.draft and change.needs_human == ()
    assert "not rolled back: `validate.rollback` is `category`" in render_summary(change.report, campaign_title="t")


def test_rollback_none_does_not_search(tmp_path: Path, setup: TestSetup) -> None:
    change, _ = _change(tmp_path / "repo", setup, Planted(lone=(2,)), rollback="none")
    assert change.report.rollback is None
    assert change.draft and change.report.test_status is TestStatus.FAILED


def test_cli_validate_rollback_prints_the_culprits_and_rolls_them_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the CLI's venv cache
    root = tmp_path / "repo"
    root.mkdir()
    generate(root, Planted(lone=(6, 23)))
    campaign = str(root / ".github/migrations/engine-move.yml")
    assert main(["apply", campaign, "--repo", str(root)]) == EXIT_OK
    capsys.readouterr()
    code = main(["validate", campaign, "--repo", str(root), "--category", CATEGORY, "--rollback", "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_FINDINGS  # the rolled-back files need a human
    report = json.loads(out)
    assert report["rollback"]["status"] == "found" and report["rollback"]["rolled_back"]
    assert report["rollback"]["files"] == [module_path(6), module_path(23)]
    assert report["tests"]["status"] == "passed" and report["totals"]["files_changed"] == MODULES - 2
    assert f"culprit: {module_path(6)} (rolled back in the working tree); fails tests/test_mod_06.py::test_run" in err
    runs = report["rollback"]["runs"]
    assert f"culprit search: found, {runs} test run(s) over 30 file(s) (bound for a lone culprit: 12;" in err
    assert runs <= 2 * lone_culprit_bound(MODULES) - 1
    # the working tree: the culprits back to HEAD, the rest still migrated
    assert set(gitops.changed_files(root)) == {module_path(i) for i in range(MODULES)} - {module_path(6), module_path(23)}


def test_the_search_runs_in_the_workers_sandbox(tmp_path: Path) -> None:
    assert sandbox.bwrap_problem() is None, f"needs bwrap (Debian package {sandbox.BWRAP_PACKAGE!r})"
    bwrap = TestSetup(BwrapRunner(), tmp_path / "venvs", setup_timeout=120)
    change, base = _change(tmp_path / "repo", bwrap, Planted(lone=(17,)))
    search = change.report.rollback
    assert search is not None and search.status is SearchStatus.FOUND and search.files == (module_path(17),)
    assert search.runs <= lone_culprit_bound(MODULES)
    assert len(_committed(tmp_path / "repo", base)) == MODULES - 1
    assert change.report.test_status is TestStatus.PASSED and not change.draft
