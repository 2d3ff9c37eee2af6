"""Campaign state from PRs, and which categories start next."""

from __future__ import annotations

import dataclasses

import pytest

from bot import markers
from bot.campaign.spec import Campaign, Category, Order, Rollout
from bot.forge.base import PullInfo
from bot.rollout.state import CategoryStatus, campaign_state, categories_to_start

S = CategoryStatus
NAMES = ("core", "api", "tests")


def make_campaign(order: Order = Order.SEQUENTIAL, max_open: int = 1) -> Campaign:
    categories = tuple(Category(name, i, (f"{name}/**",)) for i, name in enumerate(NAMES))
    return Campaign("mig", "Migration", (), categories, rollout=Rollout(order=order, max_open=max_open))


def pull(category: str, number: int, state: str = "open", merged: bool = False,
         labels: tuple[str, ...] = (), revert: bool = False) -> PullInfo:
    head = (markers.revert_branch_name if revert else markers.branch_name)("mig", category)
    return PullInfo(number, state, merged, head, f"sha{number}", "main", "t", "", labels, f"u/{number}")


@pytest.mark.parametrize(
    ("pulls", "planned", "expected"),
    [
        ([], {}, S.PENDING),
        ([], {"core": 0}, S.EMPTY),
        ([], {"core": 3}, S.PENDING),
        ([pull("core", 1)], {"core": 0}, S.OPEN),
        ([pull("core", 1, labels=(markers.LABEL_GREEN,))], {}, S.GREEN),
        ([pull("core", 1, labels=(markers.LABEL_FAILED,))], {}, S.FAILED),
        ([pull("core", 1, "closed", labels=(markers.LABEL_FAILED,))], {}, S.FAILED),
        ([pull("core", 1, "closed")], {}, S.FAILED),
        ([pull("core", 1, "closed", labels=(markers.LABEL_SKIPPED,))], {}, S.SKIPPED),
        ([pull("core", 1, "closed", merged=True)], {}, S.MERGED),
        ([pull("core", 1, "closed", merged=True), pull("core", 2, revert=True)], {}, S.REVERTED),
        ([pull("core", 1, "closed", merged=True), pull("core", 2, "closed", True, revert=True)], {}, S.REVERTED),
        # a revert a maintainer closed unmerged: the original merge stands
        ([pull("core", 1, "closed", merged=True), pull("core", 2, "closed", revert=True)], {}, S.MERGED),
        # the newest PR for a branch wins: closed-failed, then reopened as a new PR
        ([pull("core", 5), pull("core", 1, "closed", labels=(markers.LABEL_FAILED,))], {}, S.OPEN),
        # other campaigns' and humans' PRs do not count
        ([dataclasses.replace(pull("core", 1), head_ref="migration-bot/other/core")], {}, S.PENDING),
    ],
)
def test_category_status(pulls: list[PullInfo], planned: dict[str, int], expected: CategoryStatus) -> None:
    state = campaign_state(make_campaign(), pulls, planned)
    assert state.category("core").status is expected


def test_state_keeps_pull_and_revert_numbers_and_pauses() -> None:
    pulls = [pull("core", 1, "closed", merged=True), pull("core", 7, revert=True), pull("api", 3)]
    state = campaign_state(make_campaign(), pulls, {})
    core = state.category("core")
    assert (core.pull_number, core.head_sha, core.revert_number) == (1, "sha1", 7)
    assert state.paused and not state.finished
    assert state.open_count == 1
    assert [c.name for c in state.categories] == list(NAMES)


@pytest.mark.parametrize(
    ("statuses", "finished"),
    [
        ({"core": S.MERGED, "api": S.SKIPPED, "tests": S.EMPTY}, True),
        ({"core": S.MERGED, "api": S.MERGED, "tests": S.GREEN}, False),
        ({"core": S.MERGED, "api": S.REVERTED, "tests": S.MERGED}, False),
    ],
)
def test_finished(statuses: dict[str, CategoryStatus], finished: bool) -> None:
    assert campaign_state(make_campaign(), pulls_for(statuses), {"tests": 0}).finished is finished


def pulls_for(statuses: dict[str, CategoryStatus]) -> list[PullInfo]:
    """PRs that put each category in the wanted status (PENDING and EMPTY get none)."""
    made: list[PullInfo] = []
    for number, (name, status) in enumerate(statuses.items(), start=1):
        if status is S.OPEN:
            made.append(pull(name, number))
        elif status is S.GREEN:
            made.append(pull(name, number, labels=(markers.LABEL_GREEN,)))
        elif status is S.FAILED:
            made.append(pull(name, number, "closed", labels=(markers.LABEL_FAILED,)))
        elif status is S.MERGED:
            made.append(pull(name, number, "closed", merged=True))
        elif status is S.SKIPPED:
            made.append(pull(name, number, "closed", labels=(markers.LABEL_SKIPPED,)))
        elif status is S.REVERTED:
            made.append(pull(name, number, "closed", merged=True))
            made.append(pull(name, 100 + number, revert=True))
    return made


@pytest.mark.parametrize(
    ("order", "max_open", "statuses", "expected"),
    [
        (Order.SEQUENTIAL, 1, {}, ["core"]),
        (Order.SEQUENTIAL, 1, {"core": S.OPEN}, []),
        (Order.SEQUENTIAL, 1, {"core": S.GREEN}, []),
        (Order.SEQUENTIAL, 1, {"core": S.MERGED}, ["api"]),
        (Order.SEQUENTIAL, 1, {"core": S.SKIPPED, "api": S.MERGED}, ["tests"]),
        (Order.SEQUENTIAL, 1, {"core": S.FAILED}, []),
        (Order.SEQUENTIAL, 1, {"core": S.MERGED, "api": S.FAILED}, []),
        (Order.SEQUENTIAL, 1, {"core": S.REVERTED}, []),
        (Order.SEQUENTIAL, 1, {"core": S.MERGED, "api": S.MERGED, "tests": S.MERGED}, []),
        (Order.PARALLEL, 2, {}, ["core", "api"]),
        (Order.PARALLEL, 2, {"core": S.OPEN}, ["api"]),
        (Order.PARALLEL, 2, {"core": S.OPEN, "api": S.GREEN}, []),
        (Order.PARALLEL, 2, {"core": S.FAILED}, ["api", "tests"]),
        (Order.PARALLEL, 5, {"core": S.MERGED}, ["api", "tests"]),
        (Order.PARALLEL, 5, {"core": S.REVERTED}, []),
    ],
)
def test_categories_to_start(order: Order, max_open: int, statuses: dict[str, CategoryStatus],
                             expected: list[str]) -> None:
    campaign = make_campaign(order, max_open)
    state = campaign_state(campaign, pulls_for(statuses), {})
    assert categories_to_start(campaign, state) == expected


def test_empty_categories_are_passed_over() -> None:
    campaign = make_campaign()
    state = campaign_state(campaign, [], {"core": 0, "api": 2})
    assert categories_to_start(campaign, state) == ["api"]


def test_failed_but_kept_open_takes_a_slot() -> None:
    campaign = make_campaign(Order.PARALLEL, 1)
    state = campaign_state(campaign, [pull("core", 1, labels=(markers.LABEL_FAILED,))], {})
    assert state.category("core").status is S.FAILED
    assert categories_to_start(campaign, state) == []
