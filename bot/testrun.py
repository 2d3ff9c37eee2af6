"""A category's tests before and after its change, judged from the runner's own report.

One function, `compare_tests`, serves the CLI (`validate`) and the workers (`workers.change`). pytest
commands write a JUnit XML report into a folder of ours, read with the standard library's parser: that
report, not the terminal summary, gives the counts and the failing tests. Any other command is judged by
its exit code, counts unknown. A run that gives no verdict (the runner does not start, pytest stops on a
usage or internal error, a timeout, no test ran) carries a `problem` and the comparison is `not_run`.

Commands run through a `bot.sandbox` runner: bubblewrap on workers, a plain subprocess locally.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import sandbox
from bot.campaign.globs import glob_matches
from bot.campaign.spec import SETUP_TIMEOUT_S, Validation
from bot.engine.report import scrub, tail
from bot.engine.validate import Counts, TestComparison, TestOutcome
from bot.sandbox import Mounts, NoSandbox, Runner, RunResult, prepare_environment

log = logging.getLogger(__name__)

FILES_PLACEHOLDER = "{files}"
JUNIT_NAME = "junit.xml"
#: pytest exit codes: 2 interrupted (collection errors), 3 internal error, 4 usage error, 5 nothing collected
_PYTEST_PROBLEMS = {
    2: "pytest was interrupted (errors during collection)",
    3: "pytest stopped on an internal error",
    4: "pytest stopped on a usage error (bad option, or a conftest.py that does not import)",
    5: "pytest collected no test",
}
OUTPUT_KEPT = 200  #: lines of output kept in an outcome (the PR shows fewer)


@dataclass(frozen=True)
class TestSetup:
    """Where and how the tests run: the runner, the repository's venv cache, the setup's timeout."""

    __test__ = False

    runner: Runner
    venv_cache: Path
    setup_timeout: float = SETUP_TIMEOUT_S

    @classmethod
    def for_worker(cls) -> TestSetup:
        """The worker's sandbox (MIGRATION_BOT_SANDBOX) and venv cache, as configured at start-up."""
        return cls(sandbox.worker_runner(), sandbox.venv_cache())

    @classmethod
    def local(cls, sandboxed: bool = False) -> TestSetup:
        """The CLI's: a plain subprocess on the user's own checkout unless `--sandbox`."""
        return cls(sandbox.local_runner(sandboxed), sandbox.venv_cache())


def compare_tests(validation: Validation, changed: Sequence[str], *, after: Path, before: Path | None,
                  setup: TestSetup) -> TestComparison | None:
    """The category's tests in `before` (the code without the change; no baseline when None) and in
    `after`. None when the campaign has no test command (not_configured). Never raises for a bad run.

    `changed` are the category's changed files: its test files among them are the `{files}`; with none,
    `validate.select` picks them, or the command runs without `{files}`.
    """
    if not validation.tests:
        return None
    files = tuple(test_files(validation, changed, after))
    command = validation.tests
    if isinstance(setup.runner, NoSandbox):
        return TestComparison(None, None, files, command, reason=setup.runner.reason)
    env = prepare_environment(setup.runner, after, validation.setup, setup.venv_cache, setup.setup_timeout)
    if env.venv is None:
        reason = f"the repository's environment could not be made: {env.problem}"
        return TestComparison(None, TestOutcome(-1, frozenset(), output_tail=tail(env.output, OUTPUT_KEPT),
                                                problem=reason), files, command)
    baseline = None
    if before is not None and validation.baseline:
        present = [f for f in files if (before / f).is_file()]
        baseline = run_tests(setup.runner, command, present, before, env.venv, validation.timeout)
    result = run_tests(setup.runner, command, files, after, env.venv, validation.timeout)
    return TestComparison(baseline, result, files, command)


def test_files(validation: Validation, changed: Sequence[str], repo: Path) -> list[str]:
    """The changed test files; else the files `validate.select` matches; else [] (the command's choice)."""
    tests = sorted(p for p in changed if is_test_file(p))
    if tests or not validation.select:
        return tests
    found = (str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    return sorted(p for p in found if glob_matches(validation.select, p))


test_files.__test__ = False  # type: ignore[attr-defined]


def run_tests(runner: Runner, command_template: str, files: Sequence[str], repo: Path, venv: Path | None,
              timeout: float) -> TestOutcome:
    """One run of the command in `repo` (with `{files}`); pytest writes its JUnit report to a folder of ours."""
    out = Path(tempfile.mkdtemp(prefix="migration-bot-report-"))
    try:
        mounts = Mounts(repo, venv, out)
        report = runner.paths(mounts).out
        assert report is not None
        argv = command_argv(command_template, files, junit=report / JUNIT_NAME)
        log.info("running tests", extra={"repo": str(repo), "argv": argv, "mode": runner.mode})
        result = runner.run(argv, mounts, timeout, network=False)
        return judge_run(result, is_pytest(argv), out / JUNIT_NAME)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def judge_run(result: RunResult, pytest: bool, junit: Path) -> TestOutcome:
    """The outcome of one run: counts and failures from the JUnit report, or why there is no verdict."""
    output = tail(result.output, OUTPUT_KEPT, 50_000)
    if not result.started:
        return TestOutcome(result.exit_code, frozenset(), output_tail=output,
                           problem=f"the test runner could not start: {scrub(result.output)}")
    if result.timed_out:
        return TestOutcome(result.exit_code, frozenset(), timed_out=True, output_tail=output,
                           problem="the tests timed out (validate.timeout); the whole run was killed")
    if not pytest:
        if result.exit_code in (126, 127):
            return TestOutcome(result.exit_code, frozenset(), output_tail=output,
                               problem=f"the test command could not start (exit {result.exit_code})")
        return TestOutcome(result.exit_code, frozenset(), output_tail=output)
    if result.exit_code in _PYTEST_PROBLEMS:
        return TestOutcome(result.exit_code, frozenset(), output_tail=output,
                           problem=f"{_PYTEST_PROBLEMS[result.exit_code]} (exit {result.exit_code})")
    parsed = read_junit(junit)
    if parsed is None:
        return TestOutcome(result.exit_code, frozenset(), output_tail=output,
                           problem=f"pytest wrote no test report (exit {result.exit_code}): is pytest installed "
                                   "in the repository's environment (validate.setup)?")
    counts, failed = parsed
    problem = ""
    if counts.collected == 0:
        problem = "no test was collected"
    elif counts.ran == 0:
        problem = f"every test was skipped ({counts.skipped})"
    elif counts.passed == 0 and counts.failed == 0 and all("::" not in node for node in failed):
        problem = f"every test module errored at collection ({counts.errors})"
    return TestOutcome(result.exit_code, failed, output_tail=output, counts=counts, problem=problem)


def read_junit(path: Path) -> tuple[Counts, frozenset[str]] | None:
    """(counts, failing node ids) from pytest's JUnit XML (xunit1 family); None when absent or unreadable."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    passed = failed = errors = skipped = 0
    failing: set[str] = set()
    cases = list(root.iter("testcase"))
    for case in cases:
        tags = {child.tag for child in case}
        if "error" in tags:
            errors += 1
            failing.add(_node_id(case))
        elif "failure" in tags:
            failed += 1
            failing.add(_node_id(case))
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return Counts(len(cases), passed, failed, errors, skipped), frozenset(failing)


def _node_id(case: ElementTree.Element) -> str:
    """pytest's node id: file::Class::name, from the xunit1 attributes (file, classname, name)."""
    name, classname, file = case.get("name", ""), case.get("classname", ""), case.get("file", "")
    if not classname:  # a collection error: name is the module's dotted path
        return file or name
    if file:
        module = file[:-3].replace("/", ".") if file.endswith(".py") else file
        inner = classname[len(module) + 1:] if classname.startswith(module + ".") else ""
        return "::".join(p for p in (file, inner.replace(".", "::"), name) if p)
    return f"{classname}::{name}"


def is_test_file(path: str) -> bool:
    """pytest's default naming: test_*.py or *_test.py."""
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def command_argv(template: str, files: Sequence[str], *, junit: Path | None = None) -> list[str]:
    """The argv: the template split like a shell would (but run without one), `{files}` expanded.

    A pytest command gets `--junitxml` (xunit1: test files named) so its report can be read.
    """
    argv: list[str] = []
    for token in shlex.split(template):
        if token == FILES_PLACEHOLDER:
            argv.extend(files)
        else:
            argv.append(token.replace(FILES_PLACEHOLDER, " ".join(files)).strip())
    argv = [a for a in argv if a]
    position = _pytest_position(argv)
    if position is None or junit is None:
        return argv
    return [*argv[:position], f"--junitxml={junit}", "-o", "junit_family=xunit1", *argv[position:]]


def is_pytest(argv: Sequence[str]) -> bool:
    return _pytest_position(list(argv)) is not None


def _pytest_position(argv: list[str]) -> int | None:
    """Index just after the token that starts pytest, or None when this is not a pytest command."""
    for i, token in enumerate(argv):
        if token == "pytest" or token.endswith(("/pytest", "/py.test")) or token == "py.test":
            return i + 1
        if token == "-m" and i + 1 < len(argv) and argv[i + 1] == "pytest":
            return i + 2
    return None
