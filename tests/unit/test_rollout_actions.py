"""Actions decided from a verdict: comment, label, close, merge, revert."""

from __future__ import annotations

import dataclasses

import pytest

from bot import markers
from bot.campaign.spec import MergeMethod, OnFailure, Rollout
from bot.engine.report import VALIDATION_NOT_PASSED
from bot.forge.base import CheckResult, PullInfo
from bot.rollout.actions import (
    CHECKS_CONCERN,
    AddLabels,
    Close,
    Comment,
    Merge,
    OpenRevert,
    RemoveLabel,
    checks_table,
    main_actions,
    pull_actions,
    revert_comment,
)
from bot.rollout.state import CampaignState
from bot.rollout.verdict import Verdict, VerdictResult

HEAD = "c" * 40
FAIL = CheckResult("ci", "completed", "failure", "https://ci/1", HEAD, 1)
FAILED = VerdictResult(Verdict.FAILED, (FAIL,))
PASSED = VerdictResult(Verdict.PASSED)
PENDING = VerdictResult(Verdict.PENDING, (), ("ci",))
RUNNING = CampaignState("mig", ())
PAUSED = CampaignState("mig", (), paused=True)


def bot_pull(labels: tuple[str, ...] = (), kind: str = "pull", **changes: object) -> PullInfo:
    marker = markers.render_marker(markers.PullMarker("mig", "core", "base", kind))
    head = markers.revert_branch_name("mig", "core") if kind == "revert" else markers.branch_name("mig", "core")
    pull = PullInfo(4, "open", False, head, HEAD, "main", "Migrate core", f"body\n{marker}", labels, "u/4")
    return dataclasses.replace(pull, **changes)


def not_passed_pull(labels: tuple[str, ...] = ()) -> PullInfo:
    """A bot PR whose body says the bot's own test run failed or did not run."""
    pull = bot_pull(labels)
    return dataclasses.replace(pull, body=f"{pull.body}\n{VALIDATION_NOT_PASSED}")


def kinds(actions: list[object]) -> list[str]:
    return [type(a).__name__ for a in actions]


@pytest.mark.parametrize(
    ("result", "rollout", "pull", "state", "expected"),
    [
        (PENDING, Rollout(), bot_pull(), RUNNING, []),
        (PENDING, Rollout(), bot_pull((markers.LABEL_GREEN,)), RUNNING, ["RemoveLabel"]),
        (FAILED, Rollout(), bot_pull(), RUNNING, ["Comment", "AddLabels", "Close"]),
        (FAILED, Rollout(), bot_pull((markers.LABEL_GREEN,)), RUNNING,
         ["Comment", "AddLabels", "RemoveLabel", "Close"]),
        (FAILED, Rollout(on_failure=OnFailure.KEEP), bot_pull(), RUNNING, ["Comment", "AddLabels"]),
        # reopened by a maintainer after a failure: told, never closed again
        (FAILED, Rollout(), bot_pull((markers.LABEL_FAILED,)), RUNNING, ["Comment"]),
        (FAILED, Rollout(), bot_pull(kind="revert"), RUNNING, ["Comment", "AddLabels"]),
        (PASSED, Rollout(), bot_pull(), RUNNING, ["AddLabels"]),
        (PASSED, Rollout(), bot_pull((markers.LABEL_GREEN,)), RUNNING, []),
        (PASSED, Rollout(automerge=True), bot_pull(), RUNNING, ["AddLabels", "Merge"]),
        (PASSED, Rollout(automerge=True), bot_pull((markers.LABEL_GREEN,)), RUNNING, ["Merge"]),
        (PASSED, Rollout(), bot_pull((markers.LABEL_MERGE_REQUESTED,)), RUNNING, ["AddLabels", "Merge"]),
        (PASSED, Rollout(automerge=True), bot_pull(draft=True), RUNNING, ["AddLabels"]),
        # the bot's tests failed or did not run: green CI never automerges it; a human may ask
        (PASSED, Rollout(automerge=True), not_passed_pull(), RUNNING, ["AddLabels"]),
        (PASSED, Rollout(), not_passed_pull((markers.LABEL_MERGE_REQUESTED,)), RUNNING, ["AddLabels", "Merge"]),
        (PASSED, Rollout(automerge=True), bot_pull(), PAUSED, ["AddLabels"]),
        (PASSED, Rollout(), bot_pull((markers.LABEL_FAILED,)), RUNNING, ["Comment", "RemoveLabel", "AddLabels"]),
        (PASSED, Rollout(automerge=True), bot_pull(kind="revert"), PAUSED, ["AddLabels"]),
        (PASSED, Rollout(auto_revert_merge=True), bot_pull(kind="revert"), PAUSED, ["AddLabels", "Merge"]),
        # closed, merged, or its head moved since the checks ran: nothing
        (FAILED, Rollout(), bot_pull(state="closed"), RUNNING, []),
        (PASSED, Rollout(automerge=True), bot_pull(state="closed", merged=True), RUNNING, []),
        (FAILED, Rollout(), bot_pull(head_sha="d" * 40), RUNNING, []),
        (PASSED, Rollout(automerge=True), bot_pull(head_sha="d" * 40), RUNNING, []),
    ],
)
def test_pull_actions(result: VerdictResult, rollout: Rollout, pull: PullInfo, state: CampaignState,
                      expected: list[str]) -> None:
    assert kinds(pull_actions(state, result, rollout, pull, HEAD)) == expected


def test_failed_comment_has_the_table_and_label_is_failed() -> None:
    actions = pull_actions(RUNNING, FAILED, Rollout(), bot_pull(), HEAD)
    comment, label, close = actions
    assert isinstance(comment, Comment) and comment.concern == CHECKS_CONCERN
    assert "| ci | failure | [details](https://ci/1) |" in comment.body
    assert HEAD in comment.body
    assert label == AddLabels((markers.LABEL_FAILED,))
    assert close == Close()


def test_merge_uses_the_judged_head_and_campaign_method() -> None:
    rollout = Rollout(automerge=True, merge_method=MergeMethod.REBASE)
    merge = pull_actions(RUNNING, PASSED, rollout, bot_pull((markers.LABEL_GREEN,)), HEAD)[-1]
    assert merge == Merge(HEAD, "rebase", "Migrate core")


def test_pending_removes_a_stale_green_label() -> None:
    actions = pull_actions(RUNNING, PENDING, Rollout(), bot_pull((markers.LABEL_GREEN,)), HEAD)
    assert actions == [RemoveLabel(markers.LABEL_GREEN)]


@pytest.mark.parametrize(
    ("result", "pull", "expected"),
    [
        (FAILED, bot_pull(state="closed", merged=True), [OpenRevert("mig", "core", "m" * 40, (FAIL,))]),
        (PASSED, bot_pull(state="closed", merged=True), []),
        (PENDING, bot_pull(state="closed", merged=True), []),
        (FAILED, bot_pull(kind="revert", state="closed", merged=True), []),
        (FAILED, bot_pull(head_ref="feature/x", body=""), []),
    ],
)
def test_main_actions(result: VerdictResult, pull: PullInfo, expected: list[object]) -> None:
    assert main_actions(result, pull, "m" * 40) == expected


def test_checks_table_escapes_pipes_and_shows_status_when_no_conclusion() -> None:
    table = checks_table([CheckResult("a|b", "completed", None, "", HEAD)])
    assert table.splitlines()[-1] == "| a\\|b | completed |  |"


def test_revert_comment_links_the_revert() -> None:
    comment = revert_comment("m" * 40, [FAIL], "https://x/pull/9")
    assert "https://x/pull/9" in comment.body and "| ci | failure |" in comment.body
