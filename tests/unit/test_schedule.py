"""The schedule window and daily cap: which days and hours, in which time zone, how many PRs today."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.campaign.spec import Rollout, Schedule, Weekday
from bot.rollout.schedule import in_window, opened_today, starts_allowed

#: a Monday, 08:30 UTC (10:30 in Paris, summer time)
MONDAY = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
WORKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (Schedule(), True),
        (Schedule(days=WORKDAYS, start_hour=9, end_hour=17), False),  # 08:30 UTC
        (Schedule(days=WORKDAYS, start_hour=9, end_hour=17, timezone="Europe/Paris"), True),  # 10:30 there
        (Schedule(days=(Weekday.SAT, Weekday.SUN)), False),
        (Schedule(days=(Weekday.SUN,), timezone="Pacific/Kiritimati"), False),  # already Monday 22:30 there
        (Schedule(days=(Weekday.MON,), start_hour=8, end_hour=9), True),
        (Schedule(start_hour=0, end_hour=8), False),  # the end hour is not in the window
    ],
)
def test_in_window(schedule: Schedule, expected: bool) -> None:
    assert in_window(schedule, MONDAY) is expected


def test_opened_today_counts_the_local_day() -> None:
    stamps = ["2026-06-01T00:10:00Z", "2026-05-31T23:50:00Z", "2026-06-01T08:00:00Z"]
    assert opened_today(stamps, Schedule(), MONDAY) == 2
    # in Paris, 2026-05-31T23:50Z is already June 1st
    assert opened_today(stamps, Schedule(timezone="Europe/Paris"), MONDAY) == 3


@pytest.mark.parametrize(
    ("rollout", "opened", "expected"),
    [
        (Rollout(), [], None),
        (Rollout(max_per_day=2), ["2026-06-01T01:00:00Z"], 1),
        (Rollout(max_per_day=2), ["2026-06-01T01:00:00Z"] * 3, 0),
        (Rollout(max_per_day=2), ["2026-05-30T01:00:00Z"] * 3, 2),
        (Rollout(schedule=Schedule(days=(Weekday.TUE,))), [], 0),
    ],
)
def test_starts_allowed(rollout: Rollout, opened: list[str], expected: int | None) -> None:
    assert starts_allowed(rollout, opened, MONDAY) == expected
