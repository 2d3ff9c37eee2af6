"""Values the engine hands back: per-file outcomes and the findings a human must look at."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FindingKind(StrEnum):
    UNMAPPABLE_CALL = "unmappable-call"  #: a call rule could not bind the arguments safely
    PARSE_ERROR = "parse-error"  #: the file does not parse; it was left alone
    CODEMOD_ERROR = "codemod-error"  #: a codemod raised; the file was left alone
    REFERENCE_LEFT = "reference-left"  #: a migrated name is still referenced after the change
    SKIPPED = "skipped"  #: a codemod chose to leave the file untouched (SkipFile)
    WARNING = "warning"  #: anything else a codemod warned about


@dataclass(frozen=True)
class Finding:
    path: str  #: relative to the repository root, "/" separated
    line: int  #: 1-based; 0 when the finding is about the whole file
    kind: FindingKind
    rule: str  #: the rule it came from, e.g. "call pkg.mod.ExecutionEngine"; "" when none
    message: str

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class Outcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  #: a codemod raised SkipFile
    FAILED = "failed"  #: parse error or codemod crash; file untouched


@dataclass(frozen=True)
class FileResult:
    """What happened to one file. `new_source` equals `old_source` unless CHANGED."""

    path: str
    outcome: Outcome
    old_source: str
    new_source: str
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return self.outcome is Outcome.CHANGED
