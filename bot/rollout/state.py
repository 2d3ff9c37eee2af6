"""Campaign state derived only from GitHub's truth: bot PRs, their labels, merged flags and revert PRs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from bot import markers
from bot.campaign.spec import Campaign, Order
from bot.forge.base import PullInfo


class CategoryStatus(Enum):
    PENDING = "pending"  #: no PR yet (or nothing known about its files)
    OPEN = "open"  #: PR open, verdict not yet passed
    GREEN = "green"  #: PR open, required checks passed on its head
    FAILED = "failed"  #: checks failed (closed, or kept open under `on_failure: keep`), or closed by a human
    MERGED = "merged"
    REVERTED = "reverted"  #: merged, then broke the default branch: a revert PR exists (open or merged)
    SKIPPED = "skipped"  #: a maintainer closed its PR with the skipped label
    EMPTY = "empty"  #: nothing to change in this category


#: statuses that count as done for `CampaignState.finished`
DONE = frozenset({CategoryStatus.MERGED, CategoryStatus.SKIPPED, CategoryStatus.EMPTY})
#: statuses that stop a sequential rollout until a human acts
BLOCKING = frozenset({CategoryStatus.FAILED, CategoryStatus.REVERTED})


@dataclass(frozen=True)
class CategoryState:
    name: str
    status: CategoryStatus
    pull_number: int | None = None  #: the category's PR (the original one, also when reverted)
    head_sha: str | None = None  #: head of that PR as last read
    is_open: bool = False  #: its PR is open (takes a `max_open` slot, also when failed and kept)
    revert_number: int | None = None  #: the revert PR, when there is one


@dataclass(frozen=True)
class CampaignState:
    campaign_id: str
    categories: tuple[CategoryState, ...]  #: in rollout (priority) order
    paused: bool = False  #: a revert PR exists: the default branch broke after a merge

    @property
    def finished(self) -> bool:
        """Every category merged, skipped or empty (a reverted one is not finished)."""
        return all(c.status in DONE for c in self.categories)

    @property
    def open_count(self) -> int:
        return sum(1 for c in self.categories if c.is_open)

    def category(self, name: str) -> CategoryState:
        for category in self.categories:
            if category.name == name:
                return category
        raise KeyError(name)


def campaign_state(
    campaign: Campaign, pulls: Sequence[PullInfo], planned: Mapping[str, int]
) -> CampaignState:
    """The state of every category from the bot's `pulls` (any state, e.g. `list_pulls(campaign prefix)`,
    which leaves out everyone else's PRs: a closed foreign PR on a bot branch name never fails a category).

    `planned` maps a category to the number of files it would change; 0 -> EMPTY, absent -> PENDING
    (unknown until the worker plans it). A PR always wins over `planned`. Nothing here is remembered
    elsewhere, so a flushed Redis loses nothing.
    """
    by_key: dict[tuple[str, str], PullInfo] = {}
    for pull in sorted(pulls, key=lambda p: p.number):  # the newest PR of a category wins
        key = _pull_key(campaign.id, pull)
        if key is not None:
            by_key[key] = pull
    categories = tuple(
        _category_state(category.name, by_key, planned) for category in campaign.categories
    )
    paused = any(c.status is CategoryStatus.REVERTED for c in categories)
    return CampaignState(campaign.id, categories, paused)


def _pull_key(campaign_id: str, pull: PullInfo) -> tuple[str, str] | None:
    """("pull" | "revert", category) from the PR's marker, so a PR the bot opened on a fresh branch name
    (its usual one was taken) still counts for its category; from the branch name when there is no marker."""
    marker = markers.parse_marker(pull.body)
    if marker is not None:
        return (marker.kind, marker.category) if marker.campaign == campaign_id else None
    parsed = markers.parse_branch(pull.head_ref)
    if parsed is None or parsed[0] != campaign_id:
        return None
    category = parsed[1]
    if pull.head_ref == markers.revert_branch_name(campaign_id, category.removesuffix("-revert")):
        return "revert", category.removesuffix("-revert")
    return "pull", category


def _category_state(
    name: str, by_key: Mapping[tuple[str, str], PullInfo], planned: Mapping[str, int]
) -> CategoryState:
    pull = by_key.get(("pull", name))
    revert = by_key.get(("revert", name))
    if revert is not None and (revert.state == "open" or revert.merged):
        return CategoryState(
            name,
            CategoryStatus.REVERTED,
            pull.number if pull else None,
            pull.head_sha if pull else None,
            is_open=bool(pull and pull.state == "open"),
            revert_number=revert.number,
        )
    if pull is None:
        status = CategoryStatus.EMPTY if planned.get(name) == 0 else CategoryStatus.PENDING
        return CategoryState(name, status)
    return CategoryState(name, _pull_status(pull), pull.number, pull.head_sha, is_open=pull.state == "open")


def _pull_status(pull: PullInfo) -> CategoryStatus:
    """Status from one PR. A PR closed by a human without the skipped label counts as FAILED: the bot
    never reopens or replaces what a person closed, and a sequential rollout waits for them."""
    if pull.merged:
        return CategoryStatus.MERGED
    if pull.state == "open":
        if markers.LABEL_FAILED in pull.labels:
            return CategoryStatus.FAILED
        return CategoryStatus.GREEN if markers.LABEL_GREEN in pull.labels else CategoryStatus.OPEN
    if markers.LABEL_SKIPPED in pull.labels:
        return CategoryStatus.SKIPPED
    return CategoryStatus.FAILED


def categories_to_start(campaign: Campaign, state: CampaignState) -> list[str]:
    """Categories whose PR should be opened now, in rollout order; [] when paused or finished.

    A stopped campaign (`enabled: false`) starts nothing. Sequential: the first PENDING one, only when no PR is open and no earlier category failed or was
    reverted (those wait for a human). Parallel: PENDING ones up to `max_open` minus the open PRs.
    """
    if state.paused or state.finished or not campaign.enabled:
        return []
    if campaign.rollout.order is Order.SEQUENTIAL:
        if state.open_count:
            return []
        for category in state.categories:
            if category.status in BLOCKING:
                return []
            if category.status is CategoryStatus.PENDING:
                return [category.name]
        return []
    slots = max(campaign.rollout.max_open - state.open_count, 0)
    pending = [c.name for c in state.categories if c.status is CategoryStatus.PENDING]
    return pending[:slots]
