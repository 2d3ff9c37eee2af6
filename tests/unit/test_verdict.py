"""Verdicts from required checks: pending, failed, passed; re-runs and stale heads."""

from __future__ import annotations

import pytest

from bot.forge.base import CheckResult
from bot.rollout.verdict import Verdict, judge

HEAD = "a" * 40
OLD = "b" * 40


def run(name: str, conclusion: str | None, sha: str = HEAD, id: int = 0) -> CheckResult:
    status = "in_progress" if conclusion is None else "completed"
    return CheckResult(name, status, conclusion, f"https://ci/{name}/{id}", sha, id)


@pytest.mark.parametrize(
    ("checks", "required", "expected"),
    [
        ([], None, Verdict.PENDING),
        ([run("ci", "success")], None, Verdict.PASSED),
        ([run("ci", None)], None, Verdict.PENDING),
        ([run("ci", "success"), run("lint", None)], None, Verdict.PENDING),
        ([run("ci", "success"), run("lint", "neutral"), run("docs", "skipped")], None, Verdict.PASSED),
        ([run("ci", "failure")], None, Verdict.FAILED),
        ([run("ci", "timed_out")], None, Verdict.FAILED),
        ([run("ci", "cancelled")], None, Verdict.FAILED),
        ([run("ci", "action_required")], None, Verdict.FAILED),
        ([run("ci", "error")], None, Verdict.FAILED),
        ([run("ci", "something-new")], None, Verdict.FAILED),
        ([run("ci", "stale")], None, Verdict.PENDING),
        # a failure waits while another required check still runs (time to re-run a flaky one)
        ([run("ci", "failure"), run("lint", None)], None, Verdict.PENDING),
        # only required names count
        ([run("ci", "success"), run("optional", "failure")], ["ci"], Verdict.PASSED),
        ([run("ci", "success"), run("optional", None)], ["ci"], Verdict.PASSED),
        ([run("ci", "success")], ["ci", "lint"], Verdict.PENDING),
        ([], ["ci"], Verdict.PENDING),
        # an empty required list means every check that ran
        ([run("ci", "success"), run("optional", "failure")], [], Verdict.FAILED),
        # checks on an older head are ignored
        ([run("ci", "failure", OLD)], None, Verdict.PENDING),
        ([run("ci", "failure", OLD), run("ci", "success")], ["ci"], Verdict.PASSED),
        ([run("ci", "success", OLD)], ["ci"], Verdict.PENDING),
        # re-runs: the newest run decides, by id, else by list order
        ([run("ci", "failure", id=1), run("ci", "success", id=2)], ["ci"], Verdict.PASSED),
        ([run("ci", "success", id=2), run("ci", "failure", id=1)], ["ci"], Verdict.PASSED),
        ([run("ci", "success", id=1), run("ci", "failure", id=2)], ["ci"], Verdict.FAILED),
        ([run("ci", "failure"), run("ci", "success")], ["ci"], Verdict.PASSED),
        ([run("ci", "failure", id=1), run("ci", None, id=2)], ["ci"], Verdict.PENDING),
    ],
)
def test_judge(checks: list[CheckResult], required: list[str] | None, expected: Verdict) -> None:
    assert judge(checks, HEAD, required).verdict is expected


def test_failed_lists_the_newest_failing_runs_only() -> None:
    checks = [run("ci", "failure", id=1), run("ci", "timed_out", id=3), run("lint", "success", id=2),
              run("docs", "failure", OLD, id=4)]
    result = judge(checks, HEAD, None)
    assert result.verdict is Verdict.FAILED
    assert [(c.name, c.conclusion, c.url) for c in result.failing] == [("ci", "timed_out", "https://ci/ci/3")]


def test_pending_names_the_missing_required_checks() -> None:
    result = judge([run("ci", "success")], HEAD, ["ci", "lint", "lint"])
    assert result.verdict is Verdict.PENDING
    assert result.missing == ("lint",)
    assert result.failing == ()
