"""The burndown geometry: one marker per recorded point, steps per category, a total only through whole counts."""

from __future__ import annotations

import pytest

from bot.rollout.dashboard import HistoryPoint
from bot.web.burndown import BOTTOM, LEFT, RIGHT, TOP, Line, _nice_max, burndown

HISTORY = (
    HistoryPoint("2026-03-02T09:00:00Z", 0, None, {"core": 40}),
    HistoryPoint("2026-03-02T10:00:00Z", 0, 100, {"core": 40, "api": 60}),
    HistoryPoint("2026-03-03T10:00:00Z", 1, 61, {"core": 1, "api": 60}),
    HistoryPoint("2026-03-04T09:00:00Z", 2, 1, {"core": 1, "api": 0}),
)


def test_one_marker_per_point_in_time_order() -> None:
    chart = burndown(HISTORY, ["core", "api"])
    assert [m.at for m in chart.markers] == [p.at for p in HISTORY]
    assert [m.total for m in chart.markers] == [40, 100, 61, 1]
    assert [m.complete for m in chart.markers] == [False, True, True, True]
    xs = [m.x for m in chart.markers]
    assert xs[0] == LEFT and xs[-1] == RIGHT and xs == sorted(xs)
    # proportional to time: one hour after the start is much closer to it than a day after
    assert xs[1] - xs[0] < (xs[2] - xs[1]) / 20


def test_total_joins_only_whole_counts_and_lines_start_when_a_category_reports() -> None:
    chart = burndown(HISTORY, ["core", "api"])
    assert len(chart.total.points) == 3
    lines = {line.category: line for line in chart.lines}
    assert len(lines["core"].points) == 4 and len(lines["api"].points) == 3
    assert lines["core"].color != lines["api"].color
    assert all(TOP <= y <= BOTTOM for line in chart.lines for _, y in line.points)
    assert chart.markers[1].y == pytest.approx(BOTTOM - (BOTTOM - TOP) * 100 / 100)  # the top of a 0..100 axis


def test_lines_are_steps() -> None:
    assert Line("c", "#000", ((0, 10), (5, 20), (9, 30))).path == "0.0,10.0 5.0,10.0 5.0,20.0 9.0,20.0 9.0,30.0"


def test_day_ticks_when_points_span_days_and_labels_say_the_counts() -> None:
    chart = burndown(HISTORY, ["core", "api"])
    assert [t.text for t in chart.x_ticks] == ["03 Mar", "04 Mar"]
    assert [t.text for t in chart.y_ticks] == ["0", "25", "50", "75", "100"]
    assert chart.markers[0].label.startswith("02 Mar 09:00: 40 references left so far")
    assert "core 1, api 0" in chart.markers[-1].label


def test_unparsable_or_equal_stamps_are_spread_evenly() -> None:
    chart = burndown([HistoryPoint("t1", 0, 5), HistoryPoint("t2", 0, 3), HistoryPoint("t3", 1, 0)], [])
    assert [round(m.x) for m in chart.markers] == [LEFT, round((LEFT + RIGHT) / 2), RIGHT]
    assert chart.lines == () and [(t.text, t.anchor) for t in chart.x_ticks] == [("t1", "start"), ("t3", "end")]


def test_points_within_a_minute_are_labelled_with_seconds() -> None:
    chart = burndown([HistoryPoint("2026-03-02T09:00:05Z", 0, 5), HistoryPoint("2026-03-02T09:00:40Z", 0, 3)], [])
    assert [t.text for t in chart.x_ticks] == ["09:00:05", "09:00:40"]


def test_empty_and_single_point() -> None:
    assert burndown([], ["core"]).markers == ()
    single = burndown([HistoryPoint("2026-03-02T09:00:00Z", 0, 7, {"core": 7})], ["core"])
    assert len(single.markers) == 1 and single.markers[0].x == (LEFT + RIGHT) / 2


@pytest.mark.parametrize(("value", "top"), [(0, 4), (3, 4), (4, 4), (5, 8), (99, 100), (101, 120), (287, 300),
                                            (1234, 1600), (50_000, 60_000)])
def test_axis_top_is_round(value: int, top: int) -> None:
    assert _nice_max(value) == top
