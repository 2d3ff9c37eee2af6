"""The timeline: one entry per status change with its reason, campaign-wide pause/resume/finish, bounded, kept."""

from __future__ import annotations

from bot import markers
from bot.campaign.load import parse_campaign
from bot.forge.base import PullInfo
from bot.rollout.dashboard import (
    MAX_DATA_CHARS,
    MAX_HISTORY,
    DashboardData,
    HistoryPoint,
    parse_data,
    render_dashboard,
    render_data,
    within_budget,
)
from bot.rollout.state import campaign_state
from bot.rollout.timeline import MAX_TIMELINE, TimelineEntry

CAMPAIGN = parse_campaign("""\
campaign: mig
title: Mig
rules:
  - move: old.mod.Engine
    to: new.mod.Engine
categories:
  - {name: core, priority: 0, paths: ["core/**/*.py"]}
  - {name: api, priority: 1, paths: ["api/**/*.py"]}
""", source="mig.yml")
SUMMARY = "- files changed: 3\n- references removed: 7, left in changed files: 1\n"


def _pull(number: int, category: str, *, state: str = "open", merged: bool = False, labels: tuple[str, ...] = (),
          revert: bool = False) -> PullInfo:
    branch = (markers.revert_branch_name if revert else markers.branch_name)("mig", category)
    return PullInfo(number, state, merged, branch, f"sha{number}", "main", "t", SUMMARY, labels,
                    f"https://example.test/pull/{number}")


def _step(pulls: list[PullInfo], data: DashboardData, at: str, planned: dict[str, int] | None = None,
          ) -> DashboardData:
    state = campaign_state(CAMPAIGN, pulls, planned or {})
    return parse_data(render_dashboard(CAMPAIGN, state, pulls, data, at).body)


def _events(data: DashboardData) -> list[tuple[str, str | None, str, int | None]]:
    return [(e.at, e.category, e.event, e.pull) for e in data.timeline]


def test_each_change_is_told_once_with_its_reason() -> None:
    data = _step([], DashboardData(), "t0")
    assert data.timeline == ()  # everything pending: nothing happened yet
    data = _step([_pull(1, "core")], data, "t1")
    data = _step([_pull(1, "core")], data, "t1b")  # nothing moved: nothing added
    data = _step([_pull(1, "core", labels=(markers.LABEL_GREEN,))], data, "t2")
    data = _step([_pull(1, "core", state="closed", labels=(markers.LABEL_FAILED,))], data, "t3")
    data = _step([_pull(1, "core", state="closed", labels=(markers.LABEL_FAILED,)), _pull(2, "core")], data, "t4")
    data = _step([_pull(2, "core", state="closed", merged=True), _pull(3, "api", state="closed")], data, "t5")
    assert _events(data) == [("t1", "core", "opened", 1), ("t2", "core", "checks-passed", 1),
                             ("t3", "core", "failed", 1), ("t4", "core", "opened", 2),
                             ("t5", "core", "merged", 2), ("t5", "api", "closed", 3)]
    why = [e.why for e in data.timeline]
    assert why[2] == "the required checks failed; the PR was closed"
    assert why[3] == "retried after a failure; checks are running"
    assert "closed by a person without the skipped label" in why[5]


def test_revert_pauses_and_finish_is_said_once() -> None:
    merged = _pull(1, "core", state="closed", merged=True)
    data = _step([merged], DashboardData(), "t1")
    data = _step([merged, _pull(2, "core", revert=True)], data, "t2")
    assert _events(data)[-2:] == [("t2", "core", "reverted", 2), ("t2", None, "paused", None)]
    assert data.seen_paused
    data = _step([merged, _pull(2, "core", state="closed", revert=True)], data, "t3")  # revert closed unmerged
    assert _events(data)[-2:] == [("t3", "core", "merged", 1), ("t3", None, "resumed", None)]
    skipped = _pull(3, "api", state="closed", labels=(markers.LABEL_SKIPPED,))
    data = _step([merged, skipped], data, "t4")
    data = _step([merged, skipped], data, "t5")
    assert _events(data)[-2:] == [("t4", "api", "skipped", 3), ("t4", None, "finished", None)]


def test_empty_categories_are_told_and_the_timeline_is_bounded() -> None:
    old = tuple(TimelineEntry(f"t{i}", "core", "opened", 1, "x") for i in range(MAX_TIMELINE + 5))
    data = _step([], DashboardData(timeline=old, seen_statuses={"core": "open", "api": "pending"}), "now",
                 planned={"api": 0})
    assert len(data.timeline) == MAX_TIMELINE
    assert (data.timeline[-1].category, data.timeline[-1].event, data.timeline[-1].pull) == ("api", "empty", None)
    assert data.timeline[0].at == "t6"  # the oldest went first; `core` back to pending says nothing


def test_old_dashboards_without_timeline_still_read() -> None:
    body = '<!-- migration-bot:dashboard-data {"empty":[],"history":[{"at":"t","left":3,"merged":0}]} -->'
    data = parse_data(body)
    assert data.history[0].categories == {} and data.timeline == () and data.seen_statuses == {}


def test_hidden_data_stays_within_its_budget() -> None:
    wide = {f"category-with-a-long-name-{i:03}": 1000 + i for i in range(60)}
    history = tuple(HistoryPoint(f"2026-03-{i % 28 + 1:02}T00:00:00Z", i, 5000 - i, wide) for i in range(MAX_HISTORY))
    timeline = tuple(TimelineEntry("2026-03-01T00:00:00Z", "c", "opened", i, "x" * 80) for i in range(MAX_TIMELINE))
    data = within_budget(DashboardData(history, (), timeline))
    assert len(render_data(data)) <= MAX_DATA_CHARS
    assert data.history[-1] == history[-1] and data.timeline[-1] == timeline[-1]  # the newest are kept
    assert len(data.history) < MAX_HISTORY and len(data.timeline) < MAX_TIMELINE
    small = DashboardData(history[:2], (), timeline[:2])
    assert within_budget(small) == small
