"""bot.engine.report: the markdown summary that becomes a pull request body."""

from __future__ import annotations

from bot.engine.report import render_summary
from bot.engine.results import FileResult, Finding, FindingKind, Outcome
from bot.engine.validate import FileCheck, TestComparison, TestOutcome, ValidationReport

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
    assert "No tests were run" in text
    assert "8 reference(s) to migrated names are left" in text
    assert "| e2e | 7 |" in text


def test_summary_lists_new_test_failures_against_the_baseline() -> None:
    tests = TestComparison(TestOutcome(1, frozenset({"t.py::old"})),
                           TestOutcome(1, frozenset({"t.py::old", "t.py::new"})), ("t.py",))
    text = render_summary(_report(tests, {}), campaign_title="T")
    assert "| before the change | 1 | 1 |" in text
    assert "| after the change | 1 | 2 |" in text
    assert "- `t.py::new`" in text
    assert "- `t.py::old`" not in text
    assert "No references to migrated names are left" in text


def test_summary_of_a_clean_category_says_it_passed() -> None:
    tests = TestComparison(TestOutcome(0, frozenset()), TestOutcome(0, frozenset()), ("t.py",))
    report = ValidationReport("camp", "unit", (FileCheck("a.py", 1, (), ()),), (), tests, {"unit": 0})
    text = render_summary(report, campaign_title="T")
    assert "Validation **passed**" in text
    assert "No new test failures." in text


def test_summary_shows_the_output_of_a_run_that_crashed() -> None:
    tests = TestComparison(TestOutcome(0, frozenset()), TestOutcome(4, frozenset(), output_tail="usage: boom"))
    text = render_summary(_report(tests, {}), campaign_title="T")
    assert "without naming a test" in text and "usage: boom" in text
