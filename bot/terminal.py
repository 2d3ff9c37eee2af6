"""What the console script shows: rich consoles, tables and a progress bar, built here and printed by the CLI."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from bot.engine.apply import Progress
from bot.engine.plan import Plan, RuleCount
from bot.engine.results import FileResult

#: candidate files from which a run counts as long enough for a progress bar (on a terminal only)
PROGRESS_FROM = 50
#: the plan table lists file names up to this many files, counts beyond
PLAN_LISTS_UP_TO = 40


def console(stderr: bool = False) -> Any:
    from rich.console import Console  # rich costs start-up time; only when shown

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 160)  # no cut paths


@contextlib.contextmanager
def progress(total: int, label: str) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal for long runs; otherwise no callback at all."""
    if total < PROGRESS_FROM or not sys.stdout.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def plan_view(plan: Plan) -> list[Any]:
    """The plan table; file names when few, counts (and a hint) when many."""
    from rich.table import Table

    table = Table(title="Plan")
    for column in ("priority", "category", "files", "references"):
        table.add_column(column)
    listed = sum(len(c.files) for c in plan.categories) + len(plan.unassigned) <= PLAN_LISTS_UP_TO

    def files(paths: Sequence[str]) -> str:
        return ("\n".join(paths) or "-") if listed else str(len(paths))

    for c in plan.categories:
        table.add_row(str(c.priority), c.name, files(c.files), str(c.references))
    table.add_row("", "[bold]unassigned[/bold]", files(plan.unassigned), str(plan.unassigned_references))
    return [table] if listed else [table, "(file counts shown; --json lists every file)"]


def apply_view(results: list[FileResult], *, written: bool) -> list[Any]:
    """A one-line count, then every finding with its location."""
    from rich.table import Table

    changed = sum(r.changed for r in results)
    shown: list[Any] = [f"{len(results)} candidate file(s), {changed} {'rewritten' if written else 'would change'}"]
    findings = [f for r in results for f in r.findings]
    if findings:
        table = Table(title="Findings")
        for column in ("location", "kind", "message"):
            table.add_column(column)
        for f in findings:
            table.add_row(f.location(), f.kind.value, f.message)
        shown.append(table)
    return shown


def rules_view(counts: Sequence[RuleCount]) -> list[Any]:
    """Files and references per rule, and a warning for each rule that matched nothing (a typo in a
    dotted name shows up here instead of as silence)."""
    from rich.table import Table

    table = Table(title="Rules")
    for column in ("rule", "files", "references"):
        table.add_column(column)
    for count in counts:
        if count.counted:
            table.add_row(count.label, str(count.files), str(count.references))
        else:
            table.add_row(count.label, "-", "-")
    warnings = [f"[yellow]warning:[/yellow] rule `{c.label}` matched nothing (check its dotted name)"
                for c in counts if c.matched_nothing]
    return [table, *warnings]


def markdown(text: str) -> Any:
    from rich.markdown import Markdown

    return Markdown(text)
