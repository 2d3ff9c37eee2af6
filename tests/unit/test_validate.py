"""bot.engine.validate: per-file checks, and the test comparison with a real pytest baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.campaign.load import CampaignError, parse_campaign
from bot.campaign.spec import BROKER_VISIBILITY_TIMEOUT_S, MAX_TEST_TIMEOUT, SETUP_TIMEOUT_S, Campaign
from bot.engine.results import FileResult, Finding, FindingKind, Outcome
from bot.engine.validate import Counts, TestComparison, TestOutcome, TestStatus, validate_category
from bot.sandbox import PlainRunner
from bot.testrun import TestSetup, compare_tests
from tests.campaigns import PYTEST, SYSTEM_SETUP, engine_move
from workers.celery_app import VISIBILITY_TIMEOUT_S


def campaign_with_tests() -> Campaign:
    return parse_campaign(engine_move(("unit", 0, "tests/**/*.py"), tests=PYTEST, setup=SYSTEM_SETUP), source="c.yml")

CAMPAIGN = engine_move(("unit", 0, "tests/**/*.py"))
OLD = "from old_pkg.engines import Engine\n\n\ndef make():\n    return Engine()\n"
NEW = "from new_pkg.engines import Engine\n\n\ndef make():\n    return Engine()\n"


@pytest.fixture
def campaign() -> Campaign:
    return parse_campaign(CAMPAIGN, "campaign.yml")


def _changed(path: str, old: str, new: str, *findings: Finding) -> FileResult:
    return FileResult(path, Outcome.CHANGED, old, new, findings)


def test_a_clean_change_passes(campaign: Campaign) -> None:
    report = validate_category(campaign, "unit", [_changed("tests/a.py", OLD, NEW)], None, {"unit": 0})
    (check,) = report.files
    assert check.compiles and check.references_removed == 2 and not check.references_left  # import and call
    assert report.ok
    assert report.totals["references_removed"] == 2


def test_a_reference_left_fails_and_is_counted(campaign: Campaign) -> None:
    half = NEW + "\nimport old_pkg.engines\nx = old_pkg.engines.Engine\n"
    report = validate_category(campaign, "unit", [_changed("tests/a.py", OLD, half)], None, {"unit": 1})
    (check,) = report.files
    assert len(check.references_left) == 1
    assert check.references_left[0].line == 8
    assert not report.ok
    assert report.to_json()["files"][0]["references_left"] == 1


def test_a_syntax_error_fails_with_its_line(campaign: Campaign) -> None:
    broken = NEW + "\ndef oops(:\n    pass\n"
    report = validate_category(campaign, "unit", [_changed("tests/a.py", OLD, broken)], None, {})
    (check,) = report.files
    assert not check.compiles
    assert check.compile_line == 7
    assert check.compile_error is not None and check.compile_error.startswith("line 7:")
    assert not report.ok


def test_unmappable_calls_and_untouched_files_are_listed(campaign: Campaign) -> None:
    unmappable = Finding("tests/a.py", 5, FindingKind.UNMAPPABLE_CALL, "call old_pkg.engines.Engine", "**kwargs")
    parse_error = Finding("tests/b.py", 3, FindingKind.PARSE_ERROR, "", "invalid syntax")
    results = [
        _changed("tests/a.py", OLD, NEW, unmappable),
        FileResult("tests/b.py", Outcome.FAILED, "x = (", "x = (", (parse_error,)),
        FileResult("tests/c.py", Outcome.UNCHANGED, "pass\n", "pass\n"),
    ]
    report = validate_category(campaign, "unit", results, None, {"unit": 1, "(unassigned)": 2})
    assert [f.path for f in report.files] == ["tests/a.py"]
    assert report.files[0].unmappable == (unmappable,)
    assert [r.path for r in report.not_changed] == ["tests/b.py"]
    data = report.to_json()
    assert data["files"][0]["unmappable"] == [{"line": 5, "message": "**kwargs"}]
    assert data["not_changed"][0]["findings"][0]["line"] == 3
    assert data["totals"]["remaining_references"] == 3
    assert report.ok  # unmappable calls are for a human, but they do not fail validation


ONE_PASSED = Counts(1, 1)


def _outcome(code: int, *failed: str, timed_out: bool = False, problem: str = "",
             counts: Counts | None = ONE_PASSED) -> TestOutcome:
    return TestOutcome(code, frozenset(failed), timed_out, counts=counts, problem=problem)


CRASH = "pytest stopped on a usage error (exit 4)"


@pytest.mark.parametrize(
    ("baseline", "after", "status"),
    [
        (_outcome(0), _outcome(0), TestStatus.PASSED),
        (_outcome(1, "t.py::a"), _outcome(1, "t.py::a"), TestStatus.PASSED),
        (_outcome(0), _outcome(1, "t.py::a"), TestStatus.FAILED),
        (None, _outcome(1, "t.py::a"), TestStatus.FAILED),
        (_outcome(0), _outcome(4, problem=CRASH), TestStatus.NOT_RUN),
        # the same crash before the change is still no verdict: never a pass
        (_outcome(4, problem=CRASH), _outcome(4, problem=CRASH), TestStatus.NOT_RUN),
        (_outcome(0), _outcome(-9, timed_out=True, problem="timed out"), TestStatus.NOT_RUN),
        (_outcome(0), _outcome(5, problem="no test was collected"), TestStatus.NOT_RUN),
        # a runner without a report: the exit code only
        (_outcome(0, counts=None), _outcome(0, counts=None), TestStatus.PASSED),
        (_outcome(0, counts=None), _outcome(1, counts=None), TestStatus.FAILED),
        (_outcome(1, counts=None), _outcome(1, counts=None), TestStatus.NOT_RUN),
    ],
)
def test_comparison_verdicts(baseline: TestOutcome | None, after: TestOutcome, status: TestStatus) -> None:
    comparison = TestComparison(baseline, after)
    assert comparison.status is status
    assert comparison.ok is (status is TestStatus.PASSED)
    assert comparison.to_json()["status"] == status.value


def test_nothing_attempted_is_not_run_with_its_reason() -> None:
    comparison = TestComparison(None, None, reason="no sandbox on this worker")
    assert comparison.status is TestStatus.NOT_RUN
    assert comparison.status_reason == "no sandbox on this worker"


def test_no_test_command_is_not_configured_and_ok(campaign: Campaign) -> None:
    report = validate_category(campaign, "unit", [_changed("tests/a.py", OLD, NEW)], None, {})
    assert report.test_status is TestStatus.NOT_CONFIGURED
    assert report.ok
    assert report.to_json()["tests"]["status"] == "not_configured"


def _project(root: Path, test_source: str) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_engine.py").write_text(test_source)
    return root


def test_baseline_with_real_pytest_only_new_failures_count(campaign: Campaign, tmp_path: Path) -> None:
    """A test failing before and after is not the change's fault; a test the change breaks is."""
    before = ("def test_flaky_before():\n    assert False\n\n"
              "def test_engine():\n    assert 'old' == 'old'\n")
    after = ("def test_flaky_before():\n    assert False\n\n"
             "def test_engine():\n    assert 'new' == 'old'\n")
    base, work = _project(tmp_path / "base", before), _project(tmp_path / "work", after)
    tests = compare_tests(campaign_with_tests().validate, ["tests/test_engine.py"], after=work, before=base,
                          setup=TestSetup(PlainRunner(), tmp_path / "venvs"))
    assert tests is not None
    results = [_changed("tests/test_engine.py", OLD + before, NEW + after)]
    report = validate_category(campaign, "unit", results, tests, {"unit": 0})
    assert tests.new_failures == {"tests/test_engine.py::test_engine"}
    assert not report.ok
    assert report.to_json()["tests"]["new_failures"] == ["tests/test_engine.py::test_engine"]
    assert report.totals["new_test_failures"] == 1
    assert report.to_json()["tests"]["counts"]["after"] == {"collected": 2, "passed": 0, "failed": 2,
                                                          "errors": 0, "skipped": 0}


def test_a_timeout_over_the_broker_visibility_timeout_is_a_campaign_error_naming_the_field() -> None:
    text = engine_move(("unit", 0, "tests/**/*.py"), tests=PYTEST, timeout=MAX_TEST_TIMEOUT + 1)
    with pytest.raises(CampaignError) as error:
        parse_campaign(text, source="c.yml")
    [problem] = error.value.problems
    assert problem.field == "validate.timeout"
    assert f"{BROKER_VISIBILITY_TIMEOUT_S} s" in problem.message and "visibility timeout" in problem.message
    assert 2 * MAX_TEST_TIMEOUT + SETUP_TIMEOUT_S < BROKER_VISIBILITY_TIMEOUT_S
    assert VISIBILITY_TIMEOUT_S == BROKER_VISIBILITY_TIMEOUT_S


def test_setup_and_select_are_read() -> None:
    text = engine_move(("unit", 0, "tests/**/*.py"), tests=PYTEST, setup=("python -m venv {venv}",),
                       select="tests/**/test_*.py")
    validation = parse_campaign(text, source="c.yml").validate
    assert validation.setup == ("python -m venv {venv}",)
    assert validation.select == "tests/**/test_*.py"
    assert parse_campaign(engine_move(("unit", 0, "tests/**/*.py"), tests=PYTEST), source="c.yml").validate.setup is None
