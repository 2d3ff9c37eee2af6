"""The campaign dashboard issue as a pure render: status table, steering checkboxes, progress history.

Like Renovate's "Dependency Dashboard", one issue per campaign, found by `markers.dashboard_marker`. Its
body carries its own memory in a hidden JSON marker (the progress history and the categories planned
empty), so GitHub stays the only store. The issue stays open while the campaign runs and is closed
once it is finished (every category merged, skipped or empty): a finished campaign needs nobody's eyes,
and a revert after that (not finished any more) reopens it.

Its checkboxes act like Renovate's dependency dashboard: each box carries a hidden id
(`<!-- migration-bot:box start:api -->`); a box a maintainer ticks reaches the bot as an `issues.edited`
webhook, and the re-rendered body unticks it again.
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
#: PR first-seen stamps kept in the body (the daily cap needs only the last day's)
MAX_OPENED = 50
MANUAL_PAUSE_LINE = "**Paused** by @{by}: no pull request is opened or merged until the campaign is resumed."
FINISHED_LINE = "**Finished**: every category merged or skipped."
PAUSED_LINE = "**Paused**: a merged category broke the default branch; its revert PR is open or merged."
RUNNING_LINE = "**In progress**: {done} of {total} categories done."
STOPPED_LINE = ("**Stopped**: {why}. No new pull requests are opened; the open ones are left as they are "
                "(close them by hand if you want them gone).")
DISABLED_WHY = "`enabled: false` in `{path}`"
REMOVED_WHY = "the campaign file `{path}` was removed from the default branch"
ACTION_REQUIRED_LINE = ("**Action required**: the campaign file `{path}` on the default branch has errors, so the "
                        "bot opens no new pull request for this campaign until they are fixed. Open pull requests "
                        "are left as they are.")
#: problems listed in an "Action required" body at most; the check run on the commit has them all
MAX_PROBLEMS_SHOWN = 50
TAKEN_LINE = "- `{category}`: the branch {taken} is someone else's; the bot's PR #{number} is on `{branch}`."


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
    paused_by: str | None = None  #: who paused the campaign (`pause` command or box); None: not paused
    opened: tuple[tuple[int, str], ...] = ()  #: (PR number, ISO stamp it was first seen), for the daily cap


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
        paused_by = raw.get("paused_by")
        opened = tuple((int(number), str(at)) for number, at in raw.get("opened", []))
        return DashboardData(history[-MAX_HISTORY:], tuple(str(name) for name in raw.get("empty", [])),
                             timeline[-MAX_TIMELINE:], {str(k): str(v) for k, v in raw.get("seen_statuses", {}).items()},
                             bool(raw.get("seen_paused", False)), None if paused_by is None else str(paused_by),
                             opened[-MAX_OPENED:])
    except (ValueError, KeyError, TypeError, AttributeError):
        return DashboardData()


def render_data(data: DashboardData) -> str:
    raw = {"history": [vars(p) for p in data.history], "empty": list(data.empty),
           "timeline": [vars(e) for e in data.timeline], "seen_statuses": dict(data.seen_statuses),
           "seen_paused": data.seen_paused, "paused_by": data.paused_by,
           "opened": [list(entry) for entry in data.opened]}
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


def with_opened(data: DashboardData, pulls: Sequence[PullInfo], at: str) -> DashboardData:
    """Records `at` for each category PR not seen before (reverts are not counted against the cap)."""
    seen = {number for number, _ in data.opened}
    new = tuple((p.number, at) for p in sorted(pulls, key=lambda p: p.number)
                if p.number not in seen and not p.head_ref.endswith("-revert"))
    return replace(data, opened=(*data.opened, *new)[-MAX_OPENED:]) if new else data


def render_dashboard(campaign: Campaign, state: CampaignState, pulls: Sequence[PullInfo], data: DashboardData,
                     now: str, stopped: str | None = None) -> Dashboard:
    """The issue for `state`; `pulls` are the campaign's PRs (for links and totals), `data` the previous
    dashboard's memory, `now` the timestamp of a new history point (only added when progress moved).

    `stopped` says why the campaign is stopped (REMOVED_WHY); a campaign with `enabled: false` is stopped
    without being told. A stopped campaign's issue stays open unless the campaign had finished."""
    by_number = {p.number: p for p in pulls}
    facts = {c.name: pull_facts(by_number[c.pull_number].body) for c in state.categories
             if c.pull_number in by_number}
    merged = sum(c.status is CategoryStatus.MERGED for c in state.categories)
    data = with_point(data, now, merged, references_left(state, facts), left_per_category(state, facts))
    data = within_budget(with_events(data, state, by_number, now))
    why = stopped or (None if campaign.enabled else DISABLED_WHY.format(path=campaign.source))
    halted = bool(why) and not state.finished
    headline = STOPPED_LINE.format(why=why) if halted else _headline(state, data)
    lines = [headline, "", "| # | Category | Status | PR | Files | References removed | Left in its files |",
             "|---|---|---|---|---|---|---|"]
    lines += [_row(i, c, by_number, facts.get(c.name, PullFacts())) for i, c in enumerate(state.categories, 1)]
    lines += _taken(state, by_number)
    if not state.finished and not halted:
        lines += ["", "### Steering", "", "Tick a box to act (write access needed); the bot unticks it when done.",
                  "", *_boxes(state, data)]
    lines += ["", "### Progress", "", _progress(data.history), "",
              f"Campaign `{campaign.id}`. This issue is kept up to date by the migration bot; edits are overwritten.",
              "", markers.dashboard_marker(campaign.id), render_data(data)]
    return Dashboard(dashboard_title(campaign), "\n".join(lines) + "\n", "closed" if state.finished else "open", data)


def render_action_required(campaign_id: str, path: str, problems: Sequence[str], data: DashboardData,
                           title: str) -> Dashboard:
    """The issue of a campaign whose file on the default branch does not load: the errors, one a line, and
    the previous dashboard's memory kept as it was (the table returns once the file is fixed)."""
    shown = [f"- `{problem}`" for problem in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(f"- ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (see the `migration-bot/campaign` check)")
    lines = [ACTION_REQUIRED_LINE.format(path=path), "", *shown, "",
             f"Campaign `{campaign_id}`. This issue is kept up to date by the migration bot; edits are overwritten.",
             "", markers.dashboard_marker(campaign_id), render_data(data)]
    return Dashboard(title, "\n".join(lines) + "\n", "open", data)


def _boxes(state: CampaignState, data: DashboardData) -> list[str]:
    """Start a waiting category, retry a failed one, skip one with a PR, rebase the open ones, pause/resume."""
    lines: list[str] = []
    for c in state.categories:
        if c.status is CategoryStatus.PENDING:
            lines.append(markers.box_line(f"start:{c.name}", f"Start `{c.name}` now (ignores the order and schedule)"))
        if c.status is CategoryStatus.FAILED:
            lines.append(markers.box_line(f"retry:{c.name}", f"Retry `{c.name}`"))
        if c.status in (CategoryStatus.OPEN, CategoryStatus.GREEN, CategoryStatus.FAILED):
            lines.append(markers.box_line(f"skip:{c.name}", f"Skip `{c.name}`"))
    if state.open_count:
        lines.append(markers.box_line("rebase-all", "Rebase all open pull requests"))
    lines.append(markers.box_line("resume", "Resume the campaign") if data.paused_by
                 else markers.box_line("pause", "Pause the campaign"))
    return lines


def _headline(state: CampaignState, data: DashboardData) -> str:
    if state.finished:
        return FINISHED_LINE
    if data.paused_by:
        return MANUAL_PAUSE_LINE.format(by=data.paused_by)
    if state.paused:
        return PAUSED_LINE
    done = sum(c.status in (CategoryStatus.MERGED, CategoryStatus.SKIPPED, CategoryStatus.EMPTY)
               for c in state.categories)
    return RUNNING_LINE.format(done=done, total=len(state.categories))


def _taken(state: CampaignState, by_number: Mapping[int, PullInfo]) -> list[str]:
    """Lines for the categories whose usual branch someone else holds (the PR's marker remembers who)."""
    lines = []
    for category in state.categories:
        pull = by_number.get(category.pull_number) if category.pull_number is not None else None
        marker = markers.parse_marker(pull.body) if pull else None
        if pull is not None and marker is not None and marker.taken:
            lines.append(TAKEN_LINE.format(category=category.name, taken=marker.taken, number=pull.number,
                                           branch=pull.head_ref))
    return ["", "### Branches taken", "", *lines] if lines else []


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
