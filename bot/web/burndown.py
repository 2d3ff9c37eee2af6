"""The burndown chart's geometry: references left per category over time, from the dashboard's history points.

Pure: numbers and short strings for the template's inline SVG (no script, no external asset). One marker
per recorded point; a category's line starts at the first point where its PR reported totals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.rollout.dashboard import HistoryPoint

#: Okabe-Ito colours (told apart with colour-blindness), black reserved for the total
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#8c6d1f")
WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 56, WIDTH - 24, 14, HEIGHT - 36


@dataclass(frozen=True)
class Line:
    category: str
    color: str
    points: tuple[tuple[float, float], ...]

    @property
    def path(self) -> str:
        """Steps, not slopes: a count holds until the next recorded change."""
        corners: list[tuple[float, float]] = []
        for x, y in self.points:
            if corners:
                corners.append((x, corners[-1][1]))
            corners.append((x, y))
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    at: str
    total: int
    complete: bool  #: every category with work had reported: `total` is the campaign's whole count
    label: str  #: the point in words (the marker's tooltip and the data table's row)


@dataclass(frozen=True)
class Tick:
    at: float  #: x or y in the SVG
    text: str
    anchor: str = "middle"  #: SVG text-anchor, so labels at the plot's ends stay inside it


@dataclass(frozen=True)
class Chart:
    lines: tuple[Line, ...]
    total: Line
    markers: tuple[Marker, ...]  #: one per history point, oldest first
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM


def burndown(history: Sequence[HistoryPoint], categories: Sequence[str]) -> Chart:
    """`categories` in rollout order (their colours follow it); names only in the history come after."""
    names = list(categories) + sorted({n for p in history for n in p.categories} - set(categories))
    totals = [_total(p) for p in history]
    top = _nice_max(max(totals, default=0))
    xs = _x_positions([p.at for p in history])

    def y(value: float) -> float:
        return BOTTOM - (BOTTOM - TOP) * value / top

    lines = tuple(
        Line(name, PALETTE[i % len(PALETTE)],
             tuple((x, y(p.categories[name])) for x, p in zip(xs, history, strict=True) if name in p.categories))
        for i, name in enumerate(names) if any(name in p.categories for p in history))
    markers = tuple(Marker(x, y(total), p.at, total, p.left is not None, _label(p, total))
                    for x, p, total in zip(xs, history, totals, strict=True))
    # the total line joins only whole counts: a partial sum climbs as PRs report and would read as a regression
    total = Line("total", "#1b1f24", tuple((m.x, m.y) for m in markers if m.complete))
    step = top // 4
    y_ticks = tuple(Tick(y(v), f"{v:,}") for v in range(0, top + 1, step))
    return Chart(lines, total, markers, y_ticks, _x_ticks(history, xs))


def _total(point: HistoryPoint) -> int:
    return point.left if point.left is not None else sum(point.categories.values())


def _label(point: HistoryPoint, total: int) -> str:
    parts = ", ".join(f"{name} {left:,}" for name, left in point.categories.items())
    known = "" if point.left is not None else " so far (not every category has reported)"
    return (f"{_when(point.at)}: {total:,} references left{known}; {point.merged} merged"
            + (f" ({parts})" if parts else ""))


def _nice_max(value: int) -> int:
    """The smallest 4 x a round step at or above `value`, so four gridlines fall on round numbers."""
    if value <= 0:
        return 4
    magnitude = 10 ** max(0, math.floor(math.log10(value / 4)))
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10):
        step = factor * magnitude
        if step == int(step) and 4 * step >= value:
            return int(4 * step)
    return 40 * magnitude


def _parse(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return None


def _x_positions(stamps: Sequence[str]) -> list[float]:
    """Proportional to time when every stamp parses and time moved; evenly spaced otherwise."""
    if len(stamps) <= 1:
        return [(LEFT + RIGHT) / 2] * len(stamps)
    times = [_parse(s) for s in stamps]
    if all(times) and times[-1] > times[0]:  # type: ignore[operator]
        start, span = times[0], (times[-1] - times[0]).total_seconds()  # type: ignore[operator]
        return [LEFT + (RIGHT - LEFT) * (t - start).total_seconds() / span for t in times]  # type: ignore[operator]
    return [LEFT + (RIGHT - LEFT) * i / (len(stamps) - 1) for i in range(len(stamps))]


def _when(at: str) -> str:
    parsed = _parse(at)
    return parsed.strftime("%d %b %H:%M") if parsed else at


def _x_ticks(history: Sequence[HistoryPoint], xs: Sequence[float]) -> tuple[Tick, ...]:
    """Each midnight (UTC) when the points span days, else the first and last points' times."""
    if not history:
        return ()
    first, last = _parse(history[0].at), _parse(history[-1].at)
    if first is not None and last is not None and last - first > timedelta(days=1) and xs[-1] > xs[0]:
        span = (last - first).total_seconds()
        day = first.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        days = []
        while day <= last:
            days.append(day)
            day += timedelta(days=1)
        every = math.ceil(len(days) / 10)
        return tuple(Tick(xs[0] + (xs[-1] - xs[0]) * (d - first).total_seconds() / span, d.strftime("%d %b"))
                     for d in days[::every])
    if len(history) == 1 or xs[-1] == xs[0]:
        return (Tick(xs[0], _when(history[0].at)),)
    start, end = _when(history[0].at), _when(history[-1].at)
    if start == end and first is not None and last is not None:  # within one minute: say the seconds
        start, end = first.strftime("%H:%M:%S"), last.strftime("%H:%M:%S")
    return (Tick(xs[0], start, "start"), Tick(xs[-1], end, "end"))
