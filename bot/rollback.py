"""Per-file rollback in a checkout: the culprit search's test runs, and the tree it leaves behind.

The search is pure (`bot.engine.culprits`); this is its edge. Each run writes every changed file's
migrated text into the checkout, except the files being tried reverted, which get their unmigrated
text; then only the failing tests run, through `bot.testrun` (the worker's sandbox, or a plain
subprocess locally). Shared by the workers (`workers.change`) and the CLI (`validate --rollback`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from bot.campaign.spec import Rollback, Validation
from bot.engine.culprits import CulpritSearch, SearchStatus, Trial, find_culprits
from bot.engine.results import FileResult
from bot.engine.validate import TestComparison, TestOutcome, TestStatus, ValidationReport
from bot.sandbox import prepare_environment
from bot.testrun import TestSetup, compare_tests, run_tests

log = logging.getLogger(__name__)

#: the least time worth starting one more run with, in seconds
MIN_RUN_S = 5.0


def wants_search(validation: Validation, tests: TestComparison | None) -> bool:
    """Tests ran and newly fail, and the campaign asks for the culprits (rolled back, or only named)."""
    return (validation.rollback is not Rollback.NONE and tests is not None
            and tests.status is TestStatus.FAILED and bool(tests.new_failures))


def search_culprits(validation: Validation, failing: Iterable[str], versions: Mapping[str, tuple[str, str]],
                    repo: Path, setup: TestSetup, *, deadline: float | None = None) -> CulpritSearch:
    """The culprits among `versions` (path -> (unmigrated, migrated) text) for the `failing` tests, run in `repo`.

    Leaves `repo` with the culprits' unmigrated text when they were found (status FOUND), every file
    migrated otherwise. `deadline` (time.monotonic()) stops the search early, as a run without verdict.
    Never raises for a bad run.
    """
    failing = sorted(set(failing))
    assert validation.tests is not None
    env = prepare_environment(setup.runner, repo, validation.setup, setup.venv_cache, setup.setup_timeout)
    if env.venv is None:
        return CulpritSearch(SearchStatus.GAVE_UP, max_runs=validation.max_runs, candidates=len(versions),
                             reason=f"the repository's environment could not be made: {env.problem}")

    def probe(reverted: frozenset[str]) -> Trial:
        timeout: float = validation.timeout
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
            if timeout < MIN_RUN_S:
                return Trial(frozenset(), problem="the search ran out of time (the task must end before the "
                                                  "broker hands it to another worker)")
        write_versions(repo, versions, reverted)
        return trial(run_tests(setup.runner, validation.tests or "", failing, repo, env.venv, timeout))

    search = find_culprits(sorted(versions), failing, probe, max_runs=validation.max_runs)
    kept = frozenset(search.files) if search.status is SearchStatus.FOUND else frozenset()
    write_versions(repo, versions, kept)
    log.info("culprit search", extra={"repo": str(repo), "status": search.status.value, "runs": search.runs,
                                      "culprits": list(search.files), "flaky": list(search.flaky)})
    return search


def roll_back_culprits(validation: Validation, report: ValidationReport, results: Iterable[FileResult], repo: Path,
                       setup: TestSetup, *, roll_back: bool, deadline: float | None = None) -> ValidationReport:
    """`report` with the culprit search for its new test failures; with `roll_back` and culprits found
    (not every changed file: then nothing would be left), they leave its files and `repo` keeps their
    unmigrated text; otherwise `repo` is left with every file migrated."""
    assert report.tests is not None
    changed = {f.path for f in report.files}
    versions = {r.path: (r.old_source, r.new_source) for r in results if r.path in changed}
    search = search_culprits(validation, report.tests.new_failures, versions, repo, setup, deadline=deadline)
    if search.status is SearchStatus.FOUND and not roll_back:
        search = replace(search, reason="`validate.rollback` is `category`")
    elif search.status is SearchStatus.FOUND and set(search.files) == changed:
        search, roll_back = replace(search, reason="every changed file is a culprit"), False
    report = with_search(report, search, roll_back=roll_back)
    if not (report.rollback and report.rollback.rolled_back):
        write_versions(repo, versions, ())
    return report


def fresh_verdict(validation: Validation, report: ValidationReport, repo: Path, setup: TestSetup) -> ValidationReport:
    """After a rollback or a flaky failure: the category's tests again on `repo`, against the first baseline."""
    search, tests = report.rollback, report.tests
    if search is None or tests is None or not (search.rolled_back or search.status is SearchStatus.FLAKY):
        return report
    return replace(report, tests=rerun_after(validation, tests, [f.path for f in report.files], repo, setup))


def with_search(report: ValidationReport, search: CulpritSearch, *, roll_back: bool) -> ValidationReport:
    """`report` carrying `search`; with `roll_back` and culprits found, their files leave the change."""
    if not (roll_back and search.status is SearchStatus.FOUND):
        return replace(report, rollback=search)
    culprits = set(search.files)
    files = tuple(f for f in report.files if f.path not in culprits)
    return replace(report, files=files, rollback=replace(search, rolled_back=True))


def trial(outcome: TestOutcome) -> Trial:
    """A run as the search sees it: failures named in the runner's report are a verdict even when
    pytest calls the run a problem (every module erroring at collection, say)."""
    problem = "" if (outcome.counts is not None and outcome.failed) else outcome.problem
    return Trial(outcome.failed, outcome.output_tail, problem)


def write_versions(repo: Path, versions: Mapping[str, tuple[str, str]], reverted: Iterable[str]) -> None:
    """Every file's migrated text, the `reverted` ones' unmigrated text; their stale bytecode removed."""
    back = set(reverted)
    for path, (before, after) in versions.items():
        target = repo / path
        text = before if path in back else after
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        target.write_text(text, encoding="utf-8")
        for cached in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
            cached.unlink(missing_ok=True)


def rerun_after(validation: Validation, tests: TestComparison, changed: Iterable[str], repo: Path,
                setup: TestSetup) -> TestComparison | None:
    """The category's tests again on `repo` (the culprits rolled back), judged against the first baseline."""
    again = compare_tests(replace(validation, baseline=False), sorted(changed), after=repo, before=None, setup=setup)
    if again is None or again.after is None:
        return again
    return TestComparison(tests.baseline, again.after, again.files, again.command, again.reason)


def search_lines(search: CulpritSearch) -> list[str]:
    """The search in a few plain lines (the CLI prints them): culprits, flaky tests, runs used and the bound."""
    done = "rolled back in the working tree" if search.rolled_back else "not rolled back"
    lines = [f"culprit{' (only together)' if len(c.files) > 1 else ''}: {', '.join(c.files)} ({done}); "
             f"fails {', '.join(c.tests)}" for c in search.culprits]
    lines += [f"flaky (not blamed): {test}" for test in search.flaky]
    lines.append(f"culprit search: {search.status.value}, {search.runs} test run(s) over {search.candidates} "
                 f"file(s) (bound for a lone culprit: {search.bound}; max_runs: {search.max_runs})"
                 + (f": {search.reason}" if search.reason else ""))
    return lines
