"""Judge one category's change: every file compiles, no migrated name is left, no test newly fails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.campaign.spec import Campaign
from bot.engine.references import find_references
from bot.engine.results import FileResult, Finding, FindingKind, Outcome

if TYPE_CHECKING:
    from bot.engine.plan import Plan

UNASSIGNED = "(unassigned)"  #: the remaining-references key of files no category claims

NOT_CONFIGURED = "the campaign has no test command; tests are left to CI"


class TestStatus(StrEnum):
    """What the tests say about the change; only PASSED and NOT_CONFIGURED let a PR out of draft."""

    __test__ = False

    PASSED = "passed"  #: the tests ran and nothing newly fails
    FAILED = "failed"  #: tests fail after the change that did not before (named when the runner says)
    NOT_RUN = "not_run"  #: no verdict: the runner did not start, crashed, timed out or ran no test
    NOT_CONFIGURED = "not_configured"  #: the campaign has no test command; tests are left to CI


@dataclass(frozen=True)
class Counts:
    """Test counts read from the runner's own report (pytest's JUnit XML)."""

    collected: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errors

    def to_json(self) -> dict[str, int]:
        return {"collected": self.collected, "passed": self.passed, "failed": self.failed,
                "errors": self.errors, "skipped": self.skipped}


@dataclass(frozen=True)
class TestOutcome:
    """One run of the category's tests; `problem` says why it gave no verdict ("" when it did)."""

    __test__ = False  # not a pytest test class

    exit_code: int
    failed: frozenset[str]  #: node ids reported failed or erroring
    timed_out: bool = False
    output_tail: str = ""  #: the last lines of the output, scrubbed, for a human
    counts: Counts | None = None  #: None: the runner gives no counts (not pytest)
    problem: str = ""

    @property
    def ran(self) -> bool:
        return not self.problem

    def to_json(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code, "failed": sorted(self.failed), "timed_out": self.timed_out,
                "counts": self.counts.to_json() if self.counts else None, "problem": self.problem or None}


@dataclass(frozen=True)
class TestComparison:
    """The tests before the change (None when no baseline ran) and after it, and the verdict."""

    __test__ = False

    baseline: TestOutcome | None
    after: TestOutcome | None  #: None only when nothing could be attempted (see `reason`)
    files: tuple[str, ...] = ()  #: the test files given to the command; () = the command's own choice
    command: str = ""
    reason: str = ""  #: why nothing was attempted (no sandbox, setup failed)

    @property
    def new_failures(self) -> frozenset[str]:
        """Failing after, not before: a test that already failed is not the change's fault."""
        if self.after is None or not self.after.ran:
            return frozenset()
        before = self.baseline.failed if self.baseline and self.baseline.ran else frozenset()
        return self.after.failed - before

    @property
    def status(self) -> TestStatus:
        return self._verdict()[0]

    @property
    def status_reason(self) -> str:
        return self._verdict()[1]

    def _verdict(self) -> tuple[TestStatus, str]:
        after, base = self.after, self.baseline
        if after is None:
            return TestStatus.NOT_RUN, self.reason or "the tests were not run"
        if not after.ran:
            return TestStatus.NOT_RUN, after.problem
        if self.new_failures:
            return TestStatus.FAILED, f"{len(self.new_failures)} test(s) fail after the change and not before"
        if after.counts is not None:
            return TestStatus.PASSED, "the tests ran; no new failure"
        # a runner without a report: only the exit code speaks
        if after.exit_code == 0:
            return TestStatus.PASSED, "the command exited 0 (counts unknown: not a pytest command)"
        if base is None or (base.ran and base.exit_code == 0):
            return TestStatus.FAILED, f"the command exited {after.exit_code} after the change"
        return TestStatus.NOT_RUN, (f"the command exits {after.exit_code} after the change and "
                                    f"{base.exit_code} before: without a test report the bot cannot tell more")

    @property
    def ok(self) -> bool:
        return self.status is TestStatus.PASSED

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "reason": self.status_reason,
            "command": self.command,
            "files": list(self.files),
            "counts": {"before": _counts(self.baseline), "after": _counts(self.after)},
            "baseline": self.baseline.to_json() if self.baseline else None,
            "after": self.after.to_json() if self.after else None,
            "new_failures": sorted(self.new_failures),
            "output_tail": self.after.output_tail if self.after and self.status is not TestStatus.PASSED else "",
            "ok": self.ok,
        }


def _counts(outcome: TestOutcome | None) -> dict[str, int] | None:
    return outcome.counts.to_json() if outcome and outcome.counts else None


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
    tests: TestComparison | None  #: None: the campaign has no test command (not_configured)
    #: references left per category across the whole campaign (unassigned files under "(unassigned)")
    remaining: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (all(f.compiles and not f.references_left for f in self.files)
                and (self.tests is None or self.tests.ok))

    @property
    def test_status(self) -> TestStatus:
        return self.tests.status if self.tests is not None else TestStatus.NOT_CONFIGURED

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
            "tests": self.tests.to_json() if self.tests else {"status": TestStatus.NOT_CONFIGURED.value,
                                                              "reason": NOT_CONFIGURED, "ok": True},
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


def remaining_references(plan: Plan) -> dict[str, int]:
    """References left per category (and unassigned) according to `plan`."""
    remaining = {c.name: c.references for c in plan.categories}
    if plan.unassigned_references:
        remaining[UNASSIGNED] = plan.unassigned_references
    return remaining


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
