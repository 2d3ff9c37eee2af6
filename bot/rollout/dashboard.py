"""The campaign dashboard issue as a pure render: status table, paused/finished line, progress history.

Like Renovate's "Dependency Dashboard", one issue per campaign, found by `markers.dashboard_marker`. Its
body carries its own memory in a hidden JSON marker (the progress history and the categories planned
empty), so GitHub stays the only store. The issue stays open while the campaign runs and is closed
once it is finished (every category merged, skipped or empty): a finished campaign needs nobody's eyes,
and a revert after that (not finished any more) reopens it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot import markers
from bot.campaign.spec import Campaign
from bot.forge.base import PullInfo
from bot.rollout.state import CampaignState, CategoryState, CategoryStatus
from bot.rollout.timeline import MAX_TIMELINE, TimelineEntry, timeline_events

#: history points kept in the body; the oldest go first
MAX_HISTORY = 50
#: the hidden data's share of the body (GitHub caps an issue body at 65,536 characters); over it, the oldest
#: history points and timeline entries go first
MAX_DATA_CHARS = 40_000
_DATA_RE = re.compile(r"<!-- migration-bot:dashboard-data (?P<json>.*?) -->", re.DOTALL)
_FILES_RE = re.compile(r"^- files changed: (\d+)$", re.MULTILINE)
_REFS_RE = re.compile(r"^- references removed: (\d+), left in changed files: (\d+)$", re.MULTILINE)
_SPARK = "▁▂▃▄▅▆▇█"
FINISHED_LINE = "**Finished**: every category merged or skipped."
PAUSED_LINE = "**Paused**: a merged category broke the default branch; its revert PR is open or merged."
RUNNING_LINE = "**In progress**: {done} of {total} categories done."


@dataclass(frozen=True)
class HistoryPoint:
    at: str  #: ISO timestamp, UTC
    merged: int  #: categories merged
    left: int | None  #: references still to remove, where known from the PR bodies
    #: references left per category whose PR reported totals (the web page's burndown)
    categories: Mapping[str, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class DashboardData:
    """What the dashboard remembers in its own body."""

    history: tuple[HistoryPoint, ...] = ()
    empty: tuple[str, ...] = ()  #: categories planned with nothing to change (known only to a clone)
    timeline: tuple[TimelineEntry, ...] = ()  #: what the bot did and why, oldest first, the last MAX_TIMELINE
    #: each category's status at the last render, and whether the campaign was paused then: what new entries
    #: are relative to
    seen_statuses: Mapping[str, str] = field(default_factory=dict, hash=False)
    seen_paused: bool = False


@dataclass(frozen=True)
class PullFacts:
    """Totals read back from a bot PR body (the validation summary); None when the body lacks them."""

    files: int | None = None
    removed: int | None = None
    left: int | None = None


@dataclass(frozen=True)
class Dashboard:
    title: str
    body: str
    state: str  #: "open" | "closed"
    data: DashboardData = field(default_factory=DashboardData)


def dashboard_title(campaign: Campaign) -> str:
    return f"Migration dashboard: {campaign.title}"


def pull_facts(body: str) -> PullFacts:
    files, refs = _FILES_RE.search(body or ""), _REFS_RE.search(body or "")
    return PullFacts(int(files[1]) if files else None, int(refs[1]) if refs else None,
                     int(refs[2]) if refs else None)


def parse_data(body: str | None) -> DashboardData:
    """The hidden data of a dashboard body; empty when absent or unreadable (a human may have edited it)."""
    match = _DATA_RE.search(body or "")
    if match is None:
        return DashboardData()
    try:
        raw = json.loads(match["json"])
        history = tuple(HistoryPoint(str(p["at"]), int(p["merged"]), None if p["left"] is None else int(p["left"]),
                                     {str(k): int(v) for k, v in p.get("categories", {}).items()})
                        for p in raw.get("history", []))
        timeline = tuple(TimelineEntry(str(e["at"]), e.get("category"), str(e["event"]), e.get("pull"),
                                       str(e.get("why", ""))) for e in raw.get("timeline", []))
        return DashboardData(history[-MAX_HISTORY:], tuple(str(name) for name in raw.get("empty", [])),
                             timeline[-MAX_TIMELINE:], {str(k): str(v) for k, v in raw.get("seen_statuses", {}).items()},
                             bool(raw.get("seen_paused", False)))
    except (ValueError, KeyError, TypeError, AttributeError):
        return DashboardData()


def render_data(data: DashboardData) -> str:
    raw = {"history": [vars(p) for p in data.history], "empty": list(data.empty),
           "timeline": [vars(e) for e in data.timeline], "seen_statuses": dict(data.seen_statuses),
           "seen_paused": data.seen_paused}
    text = json.dumps(raw, sort_keys=True, separators=(",", ":")).replace(">", "\\u003e")
    return f"<!-- migration-bot:dashboard-data {text} -->"


def references_left(state: CampaignState, facts: Mapping[str, PullFacts]) -> int | None:
    """References still on the default branch: removed-by-PR for unmerged categories plus what each PR left.

    None until every category that has work (not empty, not skipped) has a PR reporting totals: a partial
    sum would climb as PRs open and read as a regression on the progress chart.
    """
    counted = [c for c in state.categories if c.status not in (CategoryStatus.EMPTY, CategoryStatus.SKIPPED)]
    if not counted or any(facts.get(c.name, PullFacts()).removed is None for c in counted):
        return None
    return sum((facts[c.name].left or 0) + (0 if c.status is CategoryStatus.MERGED else facts[c.name].removed or 0)
               for c in counted)


def left_per_category(state: CampaignState, facts: Mapping[str, PullFacts]) -> dict[str, int]:
    """`references_left` per category, for the categories whose PR reports totals (a partial map)."""
    return {c.name: (facts[c.name].left or 0) + (0 if c.status is CategoryStatus.MERGED else facts[c.name].removed or 0)
            for c in state.categories
            if c.status not in (CategoryStatus.EMPTY, CategoryStatus.SKIPPED)
            and facts.get(c.name, PullFacts()).removed is not None}


def with_point(data: DashboardData, at: str, merged: int, left: int | None,
               categories: Mapping[str, int] | None = None) -> DashboardData:
    """Appends a point only when progress changed since the last one; keeps the last MAX_HISTORY."""
    last = data.history[-1] if data.history else None
    point = HistoryPoint(at, merged, left, dict(categories or {}))
    if last is not None and (last.merged, last.left, dict(last.categories)) == (merged, left, point.categories):
        return data
    return replace(data, history=(*data.history, point)[-MAX_HISTORY:])


def with_events(data: DashboardData, state: CampaignState, pulls: Mapping[int, PullInfo], at: str) -> DashboardData:
    """Appends what changed since the last render to the timeline (nothing when nothing changed)."""
    events = timeline_events(data.seen_statuses, data.seen_paused, state, pulls, at)
    seen = {c.name: c.status.value for c in state.categories}
    return replace(data, timeline=(*data.timeline, *events)[-MAX_TIMELINE:], seen_statuses=seen,
                   seen_paused=state.paused)


def within_budget(data: DashboardData, budget: int = MAX_DATA_CHARS) -> DashboardData:
    """Drops the oldest history points and timeline entries, alternately, until the hidden data fits `budget`."""
    while len(render_data(data)) > budget and (len(data.history) > 1 or data.timeline):
        if data.timeline and (len(data.timeline) >= len(data.history) or len(data.history) <= 1):
            data = replace(data, timeline=data.timeline[1:])
        else:
            data = replace(data, history=data.history[1:])
    return data


def render_dashboard(campaign: Campaign, state: CampaignState, pulls: Sequence[PullInfo], data: DashboardData,
                     now: str) -> Dashboard:
    """The issue for `state`; `pulls` are the campaign's PRs (for links and totals), `data` the previous
    dashboard's memory, `now` the timestamp of a new history point (only added when progress moved)."""
    by_number = {p.number: p for p in pulls}
    facts = {c.name: pull_facts(by_number[c.pull_number].body) for c in state.categories
             if c.pull_number in by_number}
    merged = sum(c.status is CategoryStatus.MERGED for c in state.categories)
    data = with_point(data, now, merged, references_left(state, facts), left_per_category(state, facts))
    data = within_budget(with_events(data, state, by_number, now))
    lines = [_headline(state), "", "| # | Category | Status | PR | Files | References removed | Left in its files |",
             "|---|---|---|---|---|---|---|"]
    lines += [_row(i, c, by_number, facts.get(c.name, PullFacts())) for i, c in enumerate(state.categories, 1)]
    lines += ["", "### Progress", "", _progress(data.history), "",
              f"Campaign `{campaign.id}`. This issue is kept up to date by the migration bot; edits are overwritten.",
              "", markers.dashboard_marker(campaign.id), render_data(data)]
    return Dashboard(dashboard_title(campaign), "\n".join(lines) + "\n", "closed" if state.finished else "open", data)


def _headline(state: CampaignState) -> str:
    if state.finished:
        return FINISHED_LINE
    if state.paused:
        return PAUSED_LINE
    done = sum(c.status in (CategoryStatus.MERGED, CategoryStatus.SKIPPED, CategoryStatus.EMPTY)
               for c in state.categories)
    return RUNNING_LINE.format(done=done, total=len(state.categories))


def _row(index: int, category: CategoryState, by_number: Mapping[int, PullInfo], facts: PullFacts) -> str:
    pull = by_number.get(category.pull_number) if category.pull_number is not None else None
    link = f"[#{pull.number}]({pull.html_url})" if pull else (f"#{category.pull_number}" if category.pull_number
                                                                else "-")
    if category.revert_number is not None:
        link += f", revert #{category.revert_number}"

    def cell(value: int | None) -> str:
        return "-" if value is None else str(value)

    return (f"| {index} | `{category.name}` | {category.status.value} | {link} | {cell(facts.files)} | "
            f"{cell(facts.removed)} | {cell(facts.left)} |")


def _progress(history: Sequence[HistoryPoint]) -> str:
    """A sparkline of categories merged, then the last few points as a table."""
    if not history:
        return "No progress recorded yet."
    top = max(max(p.merged for p in history), 1)
    spark = "".join(_SPARK[round(p.merged / top * (len(_SPARK) - 1))] for p in history)
    rows = [f"| {p.at} | {p.merged} | {'-' if p.left is None else p.left} |" for p in history[-5:]]
    return "\n".join([f"Merged categories over time: `{spark}`", "",
                      "| When | Merged | References left |", "|---|---|---|", *rows])
