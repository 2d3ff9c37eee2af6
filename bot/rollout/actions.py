"""What to do about a verdict, as values: the job executes them in order (comment -> label -> close/merge)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot import markers
from bot.campaign.spec import OnFailure, Rollout
from bot.engine.report import VALIDATION_NOT_PASSED
from bot.forge.base import CheckResult, PullInfo
from bot.rollout.state import CampaignState
from bot.rollout.verdict import Verdict, VerdictResult

#: comment concerns (one bot comment per concern per PR, edited in place)
CHECKS_CONCERN = "checks"
REVERT_CONCERN = "revert"

FAILED_TEMPLATE = "**Required checks failed** on {sha}.\n\n{table}\n\n{tail}"
FAILED_CLOSED_TAIL = "Closed; the branch stays so you can look. The category is recorded as failed."
FAILED_KEPT_TAIL = "Left open for a maintainer."
PASSED_AGAIN = "**Required checks pass** on {sha} now."
REVERT_TEMPLATE = (
    "**The default branch broke after this merge**: required checks failed on {sha}.\n\n{table}\n\n"
    "Revert: {revert}. The campaign is paused until a maintainer acts."
)


@dataclass(frozen=True)
class Comment:
    concern: str
    body: str


@dataclass(frozen=True)
class AddLabels:
    labels: tuple[str, ...]


@dataclass(frozen=True)
class RemoveLabel:
    label: str


@dataclass(frozen=True)
class Close:
    """Close the PR if it is still open with the judged head; the branch is kept."""


@dataclass(frozen=True)
class Merge:
    sha: str  #: the head the verdict was about; the merge is refused if the head moved
    method: str
    title: str


@dataclass(frozen=True)
class OpenRevert:
    """Find or open the revert PR of `merge_sha`, then link it from the original PR with the table."""

    campaign: str
    category: str
    merge_sha: str
    failing: tuple[CheckResult, ...]


Action = Comment | AddLabels | RemoveLabel | Close | Merge | OpenRevert


def checks_table(failing: Sequence[CheckResult]) -> str:
    """Markdown table of failing checks: name, conclusion, link."""
    rows = ["| Check | Conclusion | Link |", "| --- | --- | --- |"]
    for check in failing:
        name = check.name.replace("|", "\\|")
        link = f"[details]({check.url})" if check.url else ""
        rows.append(f"| {name} | {check.conclusion or check.status} | {link} |")
    return "\n".join(rows)


def is_revert(pull: PullInfo) -> bool:
    """A bot revert PR: its marker says so, or (marker edited away) its branch has the revert suffix."""
    marker = markers.parse_marker(pull.body)
    if marker is not None:
        return marker.kind == "revert"
    return markers.parse_branch(pull.head_ref) is not None and pull.head_ref.endswith("-revert")


def pull_actions(
    state: CampaignState, result: VerdictResult, rollout: Rollout, pull: PullInfo, judged_sha: str
) -> list[Action]:
    """Actions for a bot PR whose head `judged_sha` got `result`; [] when it is closed or its head moved.

    A PR that already carries the failed label while open is never closed again: a maintainer reopened
    it (or `on_failure: keep`). A revert PR is never closed; it merges on a pass with
    `auto_revert_merge`. No category PR merges while the campaign is paused (the default branch broke).
    """
    if pull.state != "open" or pull.head_sha != judged_sha:
        return []
    labels = set(pull.labels)
    if result.verdict is Verdict.PENDING:
        return [RemoveLabel(markers.LABEL_GREEN)] if markers.LABEL_GREEN in labels else []
    if result.verdict is Verdict.FAILED:
        return _failed(result, rollout, pull, labels)
    return _passed(state, rollout, pull, labels)


def _failed(result: VerdictResult, rollout: Rollout, pull: PullInfo, labels: set[str]) -> list[Action]:
    close = rollout.on_failure is OnFailure.CLOSE and markers.LABEL_FAILED not in labels and not is_revert(pull)
    tail = FAILED_CLOSED_TAIL if close else FAILED_KEPT_TAIL
    body = FAILED_TEMPLATE.format(sha=pull.head_sha, table=checks_table(result.failing), tail=tail)
    actions: list[Action] = [Comment(CHECKS_CONCERN, body)]
    if markers.LABEL_FAILED not in labels:
        actions.append(AddLabels((markers.LABEL_FAILED,)))
    if markers.LABEL_GREEN in labels:
        actions.append(RemoveLabel(markers.LABEL_GREEN))
    if close:
        actions.append(Close())
    return actions


def _passed(state: CampaignState, rollout: Rollout, pull: PullInfo, labels: set[str]) -> list[Action]:
    actions: list[Action] = []
    if markers.LABEL_FAILED in labels:
        actions += [Comment(CHECKS_CONCERN, PASSED_AGAIN.format(sha=pull.head_sha)),
                    RemoveLabel(markers.LABEL_FAILED)]
    if markers.LABEL_GREEN not in labels:
        actions.append(AddLabels((markers.LABEL_GREEN,)))
    if _may_merge(state, rollout, pull, labels):
        actions.append(Merge(pull.head_sha, rollout.merge_method.value, pull.title))
    return actions


def _may_merge(state: CampaignState, rollout: Rollout, pull: PullInfo, labels: set[str]) -> bool:
    if pull.draft:
        return False
    if VALIDATION_NOT_PASSED in (pull.body or "") and not is_revert(pull):
        # the bot's own tests failed or did not run: green CI is not enough; a human asks to merge
        return markers.LABEL_MERGE_REQUESTED in labels
    if is_revert(pull):
        return rollout.auto_revert_merge or markers.LABEL_MERGE_REQUESTED in labels
    if state.paused:
        return False
    return rollout.automerge or markers.LABEL_MERGE_REQUESTED in labels


def main_actions(result: VerdictResult, merged: PullInfo, merge_sha: str) -> list[Action]:
    """Actions for the default-branch commit `merge_sha` that merged the category PR `merged`.

    Failed -> find or open the revert PR (the job links it from `merged`). Emitted on every failed
    verdict, even when a revert exists, so a run that stopped half-way is finished by the next one.
    A revert PR's own merge commit is never reverted.
    """
    marker = markers.parse_marker(merged.body)
    parsed = markers.parse_branch(merged.head_ref)
    if result.verdict is not Verdict.FAILED or is_revert(merged) or parsed is None:
        return []
    campaign, category = (marker.campaign, marker.category) if marker else parsed
    return [OpenRevert(campaign, category, merge_sha, result.failing)]


def revert_comment(merge_sha: str, failing: Sequence[CheckResult], revert_url: str) -> Comment:
    """The comment on the original PR linking its revert."""
    body = REVERT_TEMPLATE.format(sha=merge_sha, table=checks_table(failing), revert=revert_url)
    return Comment(REVERT_CONCERN, body)
