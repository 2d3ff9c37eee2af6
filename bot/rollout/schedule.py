"""When a campaign may open or merge pull requests: its schedule window and its daily cap; pure.

The dashboard issue records when each PR was first seen (its own memory, GitHub stays the only store), so
the cap counts PRs opened on the current local day of the schedule's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.campaign.spec import WEEKDAYS, Rollout, Schedule

__all__ = ["in_window", "opened_today", "starts_allowed"]


def _local(now: datetime, schedule: Schedule) -> datetime:
    return now.astimezone(ZoneInfo(schedule.timezone))


def in_window(schedule: Schedule, now: datetime) -> bool:
    """Whether `now` (aware) falls on one of the schedule's days, between its start and end hour."""
    local = _local(now, schedule)
    return WEEKDAYS[local.weekday()] in schedule.days and schedule.start_hour <= local.hour < schedule.end_hour


def opened_today(stamps: Iterable[str], schedule: Schedule, now: datetime) -> int:
    """How many of the ISO timestamps `stamps` fall on `now`'s local day."""
    today = _local(now, schedule).date()
    return sum(1 for stamp in stamps
               if _local(datetime.fromisoformat(stamp.replace("Z", "+00:00")), schedule).date() == today)


def starts_allowed(rollout: Rollout, opened: Iterable[str], now: datetime) -> int | None:
    """How many PRs may open now: 0 outside the window or at the cap, None when nothing limits it."""
    if not in_window(rollout.schedule, now):
        return 0
    if rollout.max_per_day is None:
        return None
    return max(rollout.max_per_day - opened_today(opened, rollout.schedule, now), 0)
