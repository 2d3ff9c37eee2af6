"""The verdict on one commit from its required checks: pending, failed or passed. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from bot.forge.base import CheckResult

#: conclusions that count as a pass (GitHub treats neutral and skipped as not blocking)
#: every other conclusion fails: failure, timed_out, cancelled, action_required, a status's "error"
PASSING = frozenset({"success", "neutral", "skipped"})
#: a check GitHub gave up waiting for: wait for a re-run rather than judge it
WAITING = frozenset({"stale"})


class Verdict(Enum):
    PENDING = "pending"
    FAILED = "failed"
    PASSED = "passed"


@dataclass(frozen=True)
class VerdictResult:
    verdict: Verdict
    failing: tuple[CheckResult, ...] = ()  #: the newest run of each failed required check
    missing: tuple[str, ...] = ()  #: required names with no run yet on this head


def latest_runs(checks: Sequence[CheckResult], head_sha: str) -> dict[str, CheckResult]:
    """The newest run of each check on `head_sha`: highest id, list order between equal ids.

    A re-run supersedes the run it repeats, so a flaky check that passes on re-run counts as passed,
    and a re-run still in progress makes that check pending again. Runs on other heads are ignored.
    """
    ordered = sorted((c for c in checks if c.head_sha == head_sha), key=lambda c: c.id)
    return {check.name: check for check in ordered}


def judge(checks: Sequence[CheckResult], head_sha: str, required: Sequence[str] | None) -> VerdictResult:
    """Judge `head_sha` on the `required` check names; None or empty means every check that ran.

    Pending while a required check is missing or not completed (also when no check ran at all:
    a commit with no CI yet is never passed), which leaves time to re-run a flaky check before the
    bot acts. Then failed when any required check failed (unknown conclusions fail), else passed.
    """
    runs = latest_runs(checks, head_sha)
    names = tuple(dict.fromkeys(required)) if required else tuple(runs)
    missing = tuple(name for name in names if name not in runs)
    judged = [runs[name] for name in names if name in runs]
    waiting = [c for c in judged if c.status != "completed" or c.conclusion in WAITING]
    if missing or waiting or not names:
        return VerdictResult(Verdict.PENDING, (), missing)
    failing = tuple(c for c in judged if _fails(c.conclusion))
    if failing:
        return VerdictResult(Verdict.FAILED, failing)
    return VerdictResult(Verdict.PASSED)


def _fails(conclusion: str | None) -> bool:
    return conclusion not in PASSING
