"""bot.engine.report: the markdown summary that becomes a pull request body."""

from __future__ import annotations

from bot.engine.report import TAIL_CHARS, VALIDATION_NOT_PASSED, render_summary, tail
from bot.engine.results import FileResult, Finding, FindingKind, Outcome
from bot.engine.validate import Counts, FileCheck, TestComparison, TestOutcome, ValidationReport

LEFT = Finding("tests/b.py", 9, FindingKind.REFERENCE_LEFT, "move a.X", "a.X is still referenced")
CALL = Finding("tests/a.py", 4, FindingKind.UNMAPPABLE_CALL, "call a.X", "X(**kw): cannot bind | args")
PARSE = Finding("tests/c.py", 2, FindingKind.PARSE_ERROR, "", "invalid syntax")


def _report(tests: TestComparison | None, remaining: dict[str, int]) -> ValidationReport:
    files = (
        FileCheck("tests/a.py", 2, (), (CALL,)),
        FileCheck("tests/b.py", 1, (LEFT,), ()),
        FileCheck("tests/d.py", 1, (), (), compile_error="line 3: invalid syntax", compile_line=3),
    )
    failed = (FileResult("tests/c.py", Outcome.FAILED, "x = (", "x = (", (PARSE,)),)
    return ValidationReport("camp", "unit", files, failed, tests, remaining)


def test_summary_has_a_row_per_file_and_the_totals() -> None:
    text = render_summary(_report(None, {"unit": 1, "e2e": 7}), campaign_title="Move X")
    assert text.startswith("## Move X: `unit`")
    assert "needs attention" in text
    assert "| `tests/a.py` | 2 | 0 | line 4 | yes |" in text
    assert "| `tests/b.py` | 1 | **1** (lines 9) | - | yes |" in text
    assert "**no** (line 3: invalid syntax)" in text
    assert "`tests/a.py:4`: X(**kw): cannot bind \\| args" in text  # a pipe cannot break the table
    assert "- `tests/c.py` (failed): line 2: invalid syntax" in text
    assert "- references removed: 4, left in changed files: 1" in text
    assert "Status: **not_configured**" in text and "left to CI" in text
    assert "8 reference(s) to migrated names are left" in text
    assert "| e2e | 7 |" in text


def test_summary_lists_new_test_failures_against_the_baseline() -> None:
    tests = TestComparison(TestOutcome(1, frozenset({"t.py::old"}), counts=Counts(3, 2, 1)),
                           TestOutcome(1, frozenset({"t.py::old", "t.py::new"}), counts=Counts(3, 1, 2)),
                           ("t.py",), "pytest {files}")
    text = render_summary(_report(tests, {}), campaign_title="T")
    assert "Status: **failed**" in text
    assert "| before the change | 1 | 3 | 2 | 1 | 0 | 0 |" in text
    assert "| after the change | 1 | 3 | 1 | 2 | 0 | 0 |" in text
    assert VALIDATION_NOT_PASSED in text
    assert "- `t.py::new`" in text
    assert "- `t.py::old`" not in text
    assert "No references to migrated names are left" in text


def test_summary_of_a_clean_category_says_it_passed() -> None:
    tests = TestComparison(TestOutcome(0, frozenset(), counts=Counts(4, 3, 0, 0, 1)),
                           TestOutcome(0, frozenset(), counts=Counts(4, 3, 0, 0, 1)), ("t.py",))
    report = ValidationReport("camp", "unit", (FileCheck("a.py", 1, (), ()),), (), tests, {"unit": 0})
    text = render_summary(report, campaign_title="T")
    assert "Validation **passed** (tests: passed)" in text
    assert "| after the change | 0 | 4 | 3 | 0 | 0 | 1 |" in text
    assert "No new test failures." in text
    assert VALIDATION_NOT_PASSED not in text


def test_summary_shows_the_output_of_a_run_that_crashed() -> None:
    crash = TestOutcome(4, frozenset(), output_tail="usage: boom", problem="pytest stopped on a usage error")
    tests = TestComparison(crash, crash)
    text = render_summary(_report(tests, {}), campaign_title="T")
    assert "Status: **not_run**: pytest stopped on a usage error" in text and "usage: boom" in text
    assert "| before the change | 4 (not run) | ? | ? | ? | ? | ? |" in text
    assert VALIDATION_NOT_PASSED in text


def test_output_in_a_pull_request_is_scrubbed_and_capped() -> None:
    token, key = "ghs_" + "A1b2" * 9, "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
    noise = "\n".join(f"line {i}" for i in range(500))
    output = f"{noise}\nGITHUB_TOKEN={token}\npassword: hunter2\n{key}\nE   assert 1 == 2\n"
    tests = TestComparison(None, TestOutcome(1, frozenset(), output_tail=output, problem="crashed"))
    text = render_summary(_report(tests, {}), campaign_title="T")
    assert token not in text and "hunter2" not in text and "MIIEow" not in text
    assert "E   assert 1 == 2" in text and "line 499" in text
    assert "line 100\n" not in text  # only the tail
    assert len(tail(output)) <= TAIL_CHARS
