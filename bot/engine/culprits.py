"""Which changed files' migration makes tests fail: delta debugging over a category's files.

When a category's tests newly fail, one bad file should not hold back the others. `find_culprits`
looks for the smallest sets of changed files whose migration causes the failures, by reverting
candidate files and re-running only the failing tests. It bisects (Zeller's delta debugging with
interference): a file that breaks a test on its own is pinned down in at most 2*ceil(log2(n)) runs, and
two files that break a test only together are both found. One run first re-runs the failing tests on
the unchanged tree, so a failure that does not reproduce is called flaky and blamed on no file; one run
after each culprit checks the rest with it rolled back.

Pure: the runs happen behind `Probe`, a callable the caller supplies (the workers run the tests in their
sandbox, the unit tests use a table). It never raises for a bad run: the search gives up and says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

EXCERPT_LINES = 6  #: lines of a failure shown per culprit


@dataclass(frozen=True)
class Trial:
    """One run of the failing tests with some files reverted to their unmigrated text."""

    failed: frozenset[str]  #: the tests that failed (only those asked about matter)
    output: str = ""  #: the runner's output, for the failure's first lines
    problem: str = ""  #: why the run gave no verdict ("" when it did)


#: runs the failing tests with the given files reverted (all other changed files stay migrated)
Probe = Callable[[frozenset[str]], Trial]


class SearchStatus(StrEnum):
    FOUND = "found"  #: culprits found; with them rolled back the failing tests pass
    FLAKY = "flaky"  #: no failure reproduced on the same tree; nothing is blamed
    GAVE_UP = "gave_up"  #: max_runs reached, or a run gave no verdict; nothing is rolled back


@dataclass(frozen=True)
class Culprit:
    """Files whose migration breaks tests: one file, or several that break them only together."""

    files: tuple[str, ...]
    tests: tuple[str, ...]  #: the failing tests seen when it was pinned down
    excerpt: str = ""  #: the failure's first lines

    def to_json(self) -> dict[str, Any]:
        return {"files": list(self.files), "tests": list(self.tests), "excerpt": self.excerpt}


@dataclass(frozen=True)
class CulpritSearch:
    """What the search found and what it cost."""

    status: SearchStatus
    culprits: tuple[Culprit, ...] = ()  #: on GAVE_UP: those found before it stopped (not rolled back)
    flaky: tuple[str, ...] = ()  #: tests that failed once and passed when re-run on the same tree
    runs: int = 0  #: test runs used
    max_runs: int = 0
    reason: str = ""  #: why it gave up ("" otherwise)
    candidates: int = 0  #: the changed files searched
    still_failing: tuple[str, ...] = field(default=())  #: tests failing when it stopped
    rolled_back: bool = False  #: the culprits were taken out of the change (validate.rollback: files)

    @property
    def files(self) -> tuple[str, ...]:
        """Every culprit file, sorted: what is rolled back when the search found them."""
        return tuple(sorted({f for c in self.culprits for f in c.files}))

    @property
    def bound(self) -> int:
        """The most runs a single lone culprit may take among `candidates` files (2*ceil(log2 n) + 2)."""
        return lone_culprit_bound(self.candidates)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status.value, "culprits": [c.to_json() for c in self.culprits],
                "files": list(self.files), "flaky": list(self.flaky), "runs": self.runs,
                "max_runs": self.max_runs, "reason": self.reason or None, "candidates": self.candidates,
                "bound": self.bound, "rolled_back": self.rolled_back}


def lone_culprit_bound(n: int) -> int:
    """Runs to find one file breaking a test on its own among `n`: two per halving, one to confirm, one to check."""
    return 2 * max(n - 1, 0).bit_length() + 2


class _Stop(Exception):
    """The search cannot go on: out of runs, or a run without a verdict."""


def find_culprits(changed: Sequence[str], failing: Iterable[str], probe: Probe, *, max_runs: int) -> CulpritSearch:
    """The smallest sets of `changed` files whose migration makes the `failing` tests fail.

    `probe(reverted)` runs the failing tests with `reverted` files back to their unmigrated text. At most
    `max_runs` runs happen. Assumes what validation established: with every file reverted (the base)
    the tests pass.
    """
    search = _Search(tuple(sorted(set(changed))), frozenset(failing), probe, max_runs)
    return search.run()


class _Search:
    def __init__(self, changed: tuple[str, ...], targets: frozenset[str], probe: Probe, max_runs: int) -> None:
        self.changed = changed
        self.targets = targets
        self.probe = probe
        self.max_runs = max_runs
        self.runs = 0
        self.culprits: list[Culprit] = []
        self.flaky: tuple[str, ...] = ()
        self.failing: frozenset[str] = frozenset()

    def run(self) -> CulpritSearch:
        try:
            return self._search()
        except _Stop as stop:
            return self._result(SearchStatus.GAVE_UP, str(stop))

    def _search(self) -> CulpritSearch:
        if not self.targets or not self.changed:
            return self._result(SearchStatus.GAVE_UP, "no failing test or no changed file to search")
        confirm = self._trial(self.changed)
        self.failing = confirm.failed & self.targets
        self.flaky = tuple(sorted(self.targets - self.failing))
        self.targets = self.failing
        if not self.failing:
            return self._result(SearchStatus.FLAKY, "")
        applied, seen = frozenset(self.changed), confirm
        while self.failing:
            if not applied:
                raise _Stop(f"{len(self.failing)} test(s) fail with every changed file reverted: "
                            "not this migration's doing")
            files, trial = self._isolate(sorted(applied), frozenset(), seen)
            tests = trial.failed & self.targets
            self.culprits.append(Culprit(tuple(sorted(files)), tuple(sorted(tests)), excerpt(trial.output, tests)))
            applied -= files
            seen = self._trial(applied)
            fixed = tests - seen.failed
            self.failing = seen.failed & self.targets
            if not fixed and self.failing:
                self._check_base()
        return self._result(SearchStatus.FOUND, "")

    def _check_base(self) -> None:
        """Rolling a culprit back fixed none of its tests: another file may break them too, or nothing
        in this change does. One run with every file reverted tells which."""
        if self._trial(()).failed & self.targets:
            self.culprits.pop()
            raise _Stop(f"{len(self.failing)} test(s) fail with every changed file reverted: "
                        "not this migration's doing")

    def _isolate(self, c: list[str], r: frozenset[str], seen: Trial) -> tuple[frozenset[str], Trial]:
        """A minimal part of `c` that, on top of `r`, fails; `r` alone passes and `r` + `c` fails (`seen`)."""
        if len(c) == 1:
            return frozenset(c), seen
        half = (len(c) + 1) // 2
        c1, c2 = c[:half], c[half:]
        t1 = self._trial(r | frozenset(c1))
        if t1.failed & self.targets:
            return self._isolate(c1, r, t1)
        t2 = self._trial(r | frozenset(c2))
        if t2.failed & self.targets:
            return self._isolate(c2, r, t2)
        # neither half fails on its own: the failure needs files from both (interference)
        a, ta = self._isolate(c1, r | frozenset(c2), seen)
        b, tb = self._isolate(c2, r | a, ta)
        return a | b, tb

    def _trial(self, applied: Iterable[str]) -> Trial:
        """One run with only `applied` migrated (every other changed file reverted)."""
        if self.runs >= self.max_runs:
            raise _Stop(f"the search used its {self.max_runs} test runs (validate.max_runs) before "
                        "it could name every culprit")
        self.runs += 1
        trial = self.probe(frozenset(self.changed) - frozenset(applied))
        if trial.problem:
            raise _Stop(f"a test run gave no verdict: {trial.problem}")
        return trial

    def _result(self, status: SearchStatus, reason: str) -> CulpritSearch:
        return CulpritSearch(status, tuple(self.culprits), self.flaky, self.runs, self.max_runs, reason,
                             len(self.changed), tuple(sorted(self.failing)))


_REDACTED = "[redacted]"  #: what the output's scrubber (bot.engine.report.scrub) puts for a long token
_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
_SUMMARY = re.compile(r"^(FAILED|ERROR) (?P<node>\S+)")


def excerpt(output: str, tests: Iterable[str], lines: int = EXCERPT_LINES) -> str:
    """The first lines of the first of `tests`' failures in pytest's output: its `E` lines and where it
    failed; else its line of the short summary; else the output's last lines."""
    text = output.splitlines()
    for test in sorted(tests):
        section = _section(text, test)
        if section:
            errors = [s for s in section if s.startswith("E ")]
            where = [s for s in section if re.match(r"^\S+:\d+: ", s)]
            picked = (errors[:lines - 1] + where[-1:]) if errors else [s for s in section if s.strip()][:lines]
            return "\n".join(picked)
        for line in text:
            found = _SUMMARY.match(line)
            if found and _same_title(found.group("node"), test):
                return line
    return "\n".join([s for s in text if s.strip()][-lines:])


def _section(text: list[str], test: str) -> list[str]:
    """pytest's failure section for node id `test` (title "Class.name", or "ERROR collecting <file>")."""
    parts = test.split("::")
    titles = {".".join(parts[1:])} if len(parts) > 1 else {f"ERROR collecting {parts[0]}"}
    for i, line in enumerate(text):
        found = _SECTION.match(line)
        if found and any(_same_title(found.group("title"), title) for title in titles):
            end = next((j for j in range(i + 1, len(text))
                        if _SECTION.match(text[j]) or text[j].startswith("====")), len(text))
            return text[i + 1:end]
    return []


def _same_title(shown: str, title: str) -> bool:
    """The section title as shown, where the output's scrubber may have replaced long names by [redacted]."""
    if shown == title:
        return True
    if _REDACTED not in shown:
        return False
    pattern = ".+".join(re.escape(part) for part in shown.split(_REDACTED))
    return re.fullmatch(pattern, title) is not None
