"""The campaign timeline: what the bot did and why, derived from how the campaign's state moved between renders.

The dashboard job renders after every change, so comparing each category's status with the one it last
rendered names what just happened (opened, failed, merged, reverted, ...) without every job having to
report it. Pure: the entries go into the dashboard's hidden data, bounded by MAX_TIMELINE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot import markers
from bot.forge.base import PullInfo
from bot.rollout.state import CampaignState, CategoryState, CategoryStatus

#: timeline entries kept in the dashboard body; the oldest go first
MAX_TIMELINE = 60


@dataclass(frozen=True)
class TimelineEntry:
    at: str  #: ISO timestamp, UTC, of the render that saw the change
    category: str | None  #: None for the campaign as a whole (paused, resumed, finished)
    event: str  #: opened, checks-passed, failed, closed, merged, reverted, skipped, empty, paused, resumed, finished
    pull: int | None  #: the PR the event is about (the revert PR for "reverted")
    why: str  #: one sentence for a person


def timeline_events(previous: Mapping[str, str], was_paused: bool, state: CampaignState,
                    pulls: Mapping[int, PullInfo], at: str) -> list[TimelineEntry]:
    """Entries for every category whose status differs from `previous` (status values by name), then the
    campaign's own changes. A category first seen pending says nothing: pending is where all start."""
    entries = [entry for c in state.categories
               if c.status.value != previous.get(c.name, CategoryStatus.PENDING.value)
               and (entry := _category_event(c, previous.get(c.name), pulls, at)) is not None]
    if state.paused != was_paused:
        entries.append(TimelineEntry(at, None, "paused" if state.paused else "resumed", None,
                                     "a merged category broke the default branch; nothing new opens until a "
                                     "maintainer acts" if state.paused else "no revert is pending any more"))
    was_finished = bool(previous) and all(previous.get(c.name) in _DONE_VALUES for c in state.categories)
    if state.finished and not was_finished:
        entries.append(TimelineEntry(at, None, "finished", None, "every category is merged, skipped or empty"))
    return entries


_DONE_VALUES = frozenset({CategoryStatus.MERGED.value, CategoryStatus.SKIPPED.value, CategoryStatus.EMPTY.value})


def _category_event(category: CategoryState, before: str | None, pulls: Mapping[int, PullInfo],
                    at: str) -> TimelineEntry | None:
    number, pull = category.pull_number, pulls.get(category.pull_number or -1)
    status = category.status

    def entry(event: str, why: str, about: int | None = number) -> TimelineEntry:
        return TimelineEntry(at, category.name, event, about, why)

    if status is CategoryStatus.OPEN:
        retried = before in (CategoryStatus.FAILED.value, CategoryStatus.REVERTED.value)
        return entry("opened", "retried after a failure; checks are running" if retried
                     else "its turn in the rollout; waiting for the required checks")
    if status is CategoryStatus.GREEN:
        return entry("checks-passed", "the required checks passed; it can be merged")
    if status is CategoryStatus.FAILED:
        if pull is not None and markers.LABEL_FAILED in pull.labels:
            kept = pull.state == "open"
            return entry("failed", "the required checks failed; " + ("the PR is kept open (on_failure: keep)"
                                                                     if kept else "the PR was closed"))
        return entry("closed", "closed by a person without the skipped label; the rollout waits for a maintainer")
    if status is CategoryStatus.MERGED:
        return entry("merged", "merged into the default branch")
    if status is CategoryStatus.REVERTED:
        return entry("reverted", f"the default branch broke after #{number} was merged; a revert PR was opened",
                     category.revert_number)
    if status is CategoryStatus.SKIPPED:
        return entry("skipped", "a maintainer skipped it (PR closed with the skipped label)")
    if status is CategoryStatus.EMPTY:
        return entry("empty", "nothing to change in this category", None)
    return None
