"""The dashboard render: one table row per category and status, the headline, a bounded history read back."""

from __future__ import annotations

import pytest

from bot import markers
from bot.campaign.load import parse_campaign
from bot.forge.base import PullInfo
from bot.rollout.dashboard import (
    FINISHED_LINE,
    MAX_HISTORY,
    PAUSED_LINE,
    Dashboard,
    DashboardData,
    HistoryPoint,
    parse_data,
    pull_facts,
    render_dashboard,
)
from bot.rollout.state import campaign_state

CAMPAIGN = parse_campaign("""\
campaign: mig
title: Mig <all>
rules:
  - move: old.mod.Engine
    to: new.mod.Engine
categories:
  - {name: core, priority: 0, paths: ["core/**/*.py"]}
  - {name: api, priority: 1, paths: ["api/**/*.py"]}
""", source="mig.yml")
NO_DATA = DashboardData()
SUMMARY = "### Totals\n\n- files changed: 3\n- references removed: 7, left in changed files: 1\n"


def _pull(number: int, category: str, *, state: str = "open", merged: bool = False, labels: tuple[str, ...] = (),
          body: str = SUMMARY, revert: bool = False) -> PullInfo:
    branch = (markers.revert_branch_name if revert else markers.branch_name)("mig", category)
    marker = markers.render_marker(markers.PullMarker("mig", category, "abc", "revert" if revert else "pull"))
    return PullInfo(number, state, merged, branch, f"sha{number}", "main", "t", f"{body}\n{marker}", labels,
                    f"https://example.test/pull/{number}")


def _render(pulls: list[PullInfo], data: DashboardData = NO_DATA, now: str = "2026-01-01T00:00:00Z",
            planned: dict[str, int] | None = None) -> Dashboard:
    state = campaign_state(CAMPAIGN, pulls, planned or {})
    return render_dashboard(CAMPAIGN, state, pulls, data, now)


def _row(body: str, category: str) -> str:
    return next(line for line in body.splitlines() if line.startswith("| ") and f"`{category}`" in line)


@pytest.mark.parametrize(("pull", "status", "cells"), [
    (None, "pending", "| - | - | - | - |"),
    (_pull(1, "core"), "open", "| [#1](https://example.test/pull/1) | 3 | 7 | 1 |"),
    (_pull(1, "core", labels=(markers.LABEL_GREEN,)), "green", "| 3 | 7 | 1 |"),
    (_pull(1, "core", state="closed", labels=(markers.LABEL_FAILED,)), "failed", "| 3 | 7 | 1 |"),
    (_pull(1, "core", state="closed", merged=True), "merged", "| 3 | 7 | 1 |"),
    (_pull(1, "core", state="closed", labels=(markers.LABEL_SKIPPED,)), "skipped", "| 3 | 7 | 1 |"),
    (_pull(1, "core", body="no totals"), "open", "| - | - | - |"),
])
def test_one_row_per_status(pull: PullInfo | None, status: str, cells: str) -> None:
    body = _render([pull] if pull else []).body
    row = _row(body, "core")
    assert f"| {status} |" in row and row.endswith(cells)
    assert body.index("`core`") < body.index("`api`")  # rollout order


def test_headlines_and_issue_state() -> None:
    running = _render([_pull(1, "core", state="closed", merged=True)])
    assert running.body.startswith("**In progress**: 1 of 2 categories done.") and running.state == "open"
    paused = _render([_pull(1, "core", state="closed", merged=True), _pull(2, "core", revert=True)])
    assert paused.body.startswith(PAUSED_LINE) and "revert #2" in _row(paused.body, "core")
    done = _render([_pull(1, "core", state="closed", merged=True)], planned={"api": 0})
    assert done.body.startswith(FINISHED_LINE) and done.state == "closed"
    assert "| empty |" in _row(done.body, "api")
    assert done.title == "Migration dashboard: Mig <all>"
    assert markers.dashboard_marker("mig") in done.body
    assert markers.parse_marker(done.body) is None  # never taken for a PR marker


def test_history_appends_only_on_progress_and_reads_back() -> None:
    first = _render([_pull(1, "core")], now="t1", planned={"api": 0})
    same = _render([_pull(1, "core")], parse_data(first.body), now="t2", planned={"api": 0})
    assert same.body == first.body  # nothing moved: identical text, so no edit
    moved = _render([_pull(1, "core", state="closed", merged=True)], parse_data(same.body), now="t3",
                    planned={"api": 0})
    assert parse_data(moved.body).history == (HistoryPoint("t1", 0, 8, {"core": 8}),
                                                  HistoryPoint("t3", 1, 1, {"core": 1}))
    assert "`▁█`" in moved.body


def test_references_left_is_unknown_until_every_category_reported() -> None:
    partial = _render([_pull(1, "core")], now="t1")  # `api` has work and no PR yet
    assert parse_data(partial.body).history == (HistoryPoint("t1", 0, None, {"core": 8}),)
    complete = _render([_pull(1, "core"), _pull(2, "api")], parse_data(partial.body), now="t2")
    assert parse_data(complete.body).history[-1] == HistoryPoint("t2", 0, 16, {"core": 8, "api": 8})


def test_history_is_bounded() -> None:
    long = DashboardData(tuple(HistoryPoint(f"t{i}", 0, i) for i in range(MAX_HISTORY + 10)))
    rendered = _render([_pull(1, "core", state="closed", merged=True)], long, now="last", planned={"api": 0})
    history = parse_data(rendered.body).history
    assert len(history) == MAX_HISTORY and history[-1] == HistoryPoint("last", 1, 1, {"core": 1})
    assert history[0].at == "t11"


@pytest.mark.parametrize("body", [None, "", "no marker", "<!-- migration-bot:dashboard-data {broken -->",
                                  '<!-- migration-bot:dashboard-data {"history": [{"at": 1}]} -->'])
def test_unreadable_data_is_empty(body: str | None) -> None:
    assert parse_data(body) == DashboardData()


def test_data_round_trips_empty_categories() -> None:
    rendered = _render([], DashboardData((), ("api",)), planned={"api": 0})
    assert parse_data(rendered.body).empty == ("api",)
    assert pull_facts(SUMMARY).files == 3 and pull_facts("").removed is None
