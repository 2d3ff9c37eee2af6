"""Judge one category's change: every file compiles, no migrated name is left, no test newly fails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.campaign.spec import Campaign
from bot.engine.references import find_references
from bot.engine.results import FileResult, Finding, FindingKind, Outcome

#: pytest exit codes that say which tests failed (1) or that there was nothing to run (5)
_EXPLAINED_EXITS = (0, 1, 5)


@dataclass(frozen=True)
class TestOutcome:
    """One run of the category's tests."""

    __test__ = False  # not a pytest test class

    exit_code: int
    failed: frozenset[str]  #: node ids reported FAILED or ERROR
    timed_out: bool = False
    output_tail: str = ""  #: the last lines of the output, for a human

    @property
    def unexplained(self) -> bool:
        """It failed without naming a failing test (a crash, a usage error, a timeout)."""
        return self.timed_out or (self.exit_code not in _EXPLAINED_EXITS and not self.failed)

    def to_json(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code, "failed": sorted(self.failed), "timed_out": self.timed_out}


@dataclass(frozen=True)
class TestComparison:
    """The tests before the change (None when no baseline ran) and after it."""

    __test__ = False

    baseline: TestOutcome | None
    after: TestOutcome
    files: tuple[str, ...] = ()  #: the test files that were run

    @property
    def new_failures(self) -> frozenset[str]:
        """Failing after, not before: a test that already failed is not the change's fault."""
        before = self.baseline.failed if self.baseline else frozenset()
        return self.after.failed - before

    @property
    def ok(self) -> bool:
        if self.new_failures:
            return False
        if not self.after.unexplained:
            return True
        # the same crash before the change is the repository's, not ours; a timeout always counts
        base = self.baseline
        return (not self.after.timed_out and base is not None and base.unexplained
                and base.exit_code == self.after.exit_code)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "baseline": self.baseline.to_json() if self.baseline else None,
            "after": self.after.to_json(),
            "new_failures": sorted(self.new_failures),
            "ok": self.ok,
        }


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one changed file."""

    path: str
    references_removed: int
    references_left: tuple[Finding, ...]
    unmappable: tuple[Finding, ...]  #: calls a human must rewrite, with their lines
    compile_error: str | None = None  #: "line N: message" when the new source does not compile
    compile_line: int = 0

    @property
    def compiles(self) -> bool:
        return self.compile_error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "references_removed": self.references_removed,
            "references_left": len(self.references_left),
            "references_left_lines": [f.line for f in self.references_left],
            "unmappable": [{"line": f.line, "message": f.message} for f in self.unmappable],
            "compiles": self.compiles,
            "compile_error": self.compile_error,
        }


@dataclass(frozen=True)
class ValidationReport:
    campaign: str
    category: str
    files: tuple[FileCheck, ...]  #: changed files, in input order
    not_changed: tuple[FileResult, ...]  #: files that failed to parse or were skipped, left alone
    tests: TestComparison | None
    #: references left per category across the whole campaign (unassigned files under "(unassigned)")
    remaining: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (all(f.compiles and not f.references_left for f in self.files)
                and (self.tests is None or self.tests.ok))

    @property
    def totals(self) -> dict[str, int]:
        return {
            "files_changed": len(self.files),
            "references_removed": sum(f.references_removed for f in self.files),
            "references_left": sum(len(f.references_left) for f in self.files),
            "unmappable_calls": sum(len(f.unmappable) for f in self.files),
            "not_compiling": sum(not f.compiles for f in self.files),
            "files_not_changed": len(self.not_changed),
            "new_test_failures": len(self.tests.new_failures) if self.tests else 0,
            "remaining_references": sum(self.remaining.values()),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "category": self.category,
            "ok": self.ok,
            "files": [f.to_json() for f in self.files],
            "not_changed": [
                {"path": r.path, "outcome": r.outcome.value,
                 "findings": [{"line": f.line, "kind": f.kind.value, "message": f.message} for f in r.findings]}
                for r in self.not_changed
            ],
            "tests": self.tests.to_json() if self.tests else None,
            "totals": self.totals,
            "remaining": dict(self.remaining),
        }


def validate_category(campaign: Campaign, category_name: str, results: Sequence[FileResult],
                      tests: TestComparison | None, remaining: Mapping[str, int]) -> ValidationReport:
    """The report for one category from its files' results and its test runs; pure, never raises."""
    names = campaign.migrated_names
    checks = tuple(_check_file(r, names) for r in results if r.changed)
    not_changed = tuple(r for r in results if r.outcome in (Outcome.FAILED, Outcome.SKIPPED))
    return ValidationReport(campaign.id, category_name, checks, not_changed, tests, dict(remaining))


def _check_file(result: FileResult, names: tuple[str, ...]) -> FileCheck:
    error = _compile_error(result)
    before = _references(result.path, result.old_source, names)
    # a file that does not compile cannot be searched; its compile error already fails the report
    left = tuple(_references(result.path, result.new_source, names)) if error is None else ()
    return FileCheck(
        result.path,
        references_removed=max(0, len(before) - len(left)),
        references_left=left,
        unmappable=tuple(f for f in result.findings if f.kind is FindingKind.UNMAPPABLE_CALL),
        compile_error=error[1] if error else None,
        compile_line=error[0] if error else 0,
    )


def _references(path: str, source: str, names: tuple[str, ...]) -> list[Finding]:
    return find_references(path, source, names) if names else []


def _compile_error(result: FileResult) -> tuple[int, str] | None:
    """(line, "line N: message") when the new source does not compile, else None."""
    try:
        compile(result.new_source, result.path, "exec", dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or 0
        return line, f"line {line}: {error.msg}"
    except ValueError as error:  # e.g. null bytes
        return 0, str(error)
    return None
