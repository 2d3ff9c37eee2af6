"""bot.demo.render: each planted hard case is checked on its own finding, never on text every PR body has."""

from __future__ import annotations

from bot.demo.render import reports_left_alone, reports_migrated, reports_new_failure, reports_unmappable
from bot.engine.report import render_summary
from bot.engine.results import FileResult, Finding, FindingKind, Outcome
from bot.engine.validate import Counts, FileCheck, TestComparison, TestOutcome, ValidationReport

ALIASED = "tests/mc/test_alias.py"
KWARGS = "tests/it/test_kwargs.py"
BROKEN = "tests/unit/test_stats.py"
BROKEN_ID = f"{BROKEN}::test_stats"
SYNTAX = "tests/e2e/legacy.py"
CALL = Finding(KWARGS, 7, FindingKind.UNMAPPABLE_CALL, "call a.Engine", "Engine(**options): cannot bind")
PARSE = Finding(SYNTAX, 3, FindingKind.PARSE_ERROR, "", "Syntax Error @ 3:1.")


def _body(files: tuple[FileCheck, ...], tests: TestComparison | None = None,
          not_changed: tuple[FileResult, ...] = ()) -> str:
    report = ValidationReport("camp", "cat", files, not_changed, tests, {})
    return render_summary(report, campaign_title="Demo")


def test_the_aliased_import_row_must_show_it_migrated() -> None:
    assert reports_migrated(_body((FileCheck(ALIASED, 2, (), ()),)), ALIASED)
    left = Finding(ALIASED, 4, FindingKind.REFERENCE_LEFT, "move a.Engine", "left")
    # the path is in the body, but the alias was not migrated: not reported
    assert not reports_migrated(_body((FileCheck(ALIASED, 1, (left,), ()),)), ALIASED)
    assert not reports_migrated(_body((FileCheck(ALIASED, 0, (), ()),)), ALIASED)


def test_the_kwargs_row_needs_its_own_unmappable_note() -> None:
    flagged = _body((FileCheck(KWARGS, 1, (), (CALL,)),))
    assert reports_unmappable(flagged, KWARGS)
    # every body has the "Unmappable calls" column and the totals line: the path alone is not enough
    plain = _body((FileCheck(KWARGS, 1, (), ()), FileCheck("other.py", 1, (), (CALL,))))
    assert "nmappable" in plain and KWARGS in plain
    assert not reports_unmappable(plain, KWARGS)


def test_the_syntax_error_must_be_listed_as_left_alone() -> None:
    failed = FileResult(SYNTAX, Outcome.FAILED, "x = (", "x = (", (PARSE,))
    assert reports_left_alone(_body((), not_changed=(failed,)), SYNTAX)
    assert not reports_left_alone(_body((FileCheck(SYNTAX, 1, (), ()),)), SYNTAX)


def test_the_broken_test_must_be_a_new_failure() -> None:
    before = TestOutcome(0, frozenset(), counts=Counts(2, 2))
    after = TestOutcome(1, frozenset({BROKEN_ID}), counts=Counts(2, 1, 1))
    assert reports_new_failure(_body((), TestComparison(before, after, (BROKEN,))), BROKEN_ID)
    # failing before and after: not the migration's doing, not caught by it
    assert not reports_new_failure(_body((), TestComparison(after, after, (BROKEN,))), BROKEN_ID)
    # tests that did not run name nothing
    crash = TestOutcome(1, frozenset(), problem=f"pytest wrote no test report ({BROKEN_ID})")
    assert not reports_new_failure(_body((), TestComparison(crash, crash, (BROKEN,))), BROKEN_ID)
