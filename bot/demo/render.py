"""What the demo shows on a terminal: one table for the campaign and a check of the planted hard cases.

Returns rich renderables and plain values; the console script prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.table import Table

from bot.campaign.globs import category_for
from bot.campaign.load import load_campaign
from bot.demo.pipeline import CAMPAIGN_PATH, CategoryOutcome, DemoResult


@dataclass(frozen=True)
class HardCase:
    """One planted trap and whether the pipeline reported it where a reviewer will look (the PR body)."""

    what: str
    path: str
    category: str
    reported: bool


def campaign_table(result: DemoResult) -> Table:
    table = Table(title=f"Campaign {result.campaign}: one pull request per category, in rollout order")
    for column, justify in (("category", "left"), ("PR", "right"),
                            ("files changed", "right"), ("references removed", "right"),
                            ("references left", "right"), ("unmappable calls", "right"),
                            ("new test failures", "right"), ("validation", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for c in result.categories:
        table.add_row(c.category, _pull_label(c), str(c.files_changed), str(c.references_removed),
                      str(c.references_left), str(c.unmappable_calls), str(c.new_test_failures),
                      "passed" if c.validation_ok else "[bold red]needs attention[/]")
    return table


def hard_cases(result: DemoResult) -> list[HardCase]:
    """Each planted case, looked up in the PR body of the category that owns its file."""
    sample = result.sample
    cases = (
        ("aliased import migrated", sample.aliased_import, lambda body: reports_migrated(body, sample.aliased_import)),
        ("**kwargs call flagged as unmappable", sample.kwargs_call,
         lambda body: reports_unmappable(body, sample.kwargs_call)),
        ("file with a syntax error left alone and reported", sample.syntax_error,
         lambda body: reports_left_alone(body, sample.syntax_error)),
        ("test broken by the migration caught", sample.broken_test,
         lambda body: reports_new_failure(body, sample.broken_test_id)),
    )
    found = []
    for what, path, check in cases:
        owner = _owner(result, path)
        found.append(HardCase(what, path, owner.category if owner else "-", bool(owner and check(owner.body))))
    return found


def reports_migrated(body: str, path: str) -> bool:
    """The file's row in the files table: references removed, none left, compiles."""
    row = re.search(rf"^\| `{re.escape(path)}` \| (\d+) \| 0 \| [^|]* \| yes \|$", body, re.MULTILINE)
    return row is not None and int(row.group(1)) > 0


def reports_unmappable(body: str, path: str) -> bool:
    """A "Calls that need a human" note at a line of this file, and its row's unmappable column set."""
    note = re.search(rf"^- `{re.escape(path)}:\d+`: ", body, re.MULTILINE)
    row = re.search(rf"^\| `{re.escape(path)}` \| \d+ \| [^|]* \| line \d+", body, re.MULTILINE)
    return note is not None and row is not None


def reports_left_alone(body: str, path: str) -> bool:
    """Listed under "Files left alone" as failed, with its syntax error."""
    return re.search(rf"^- `{re.escape(path)}` \(failed\): .*Syntax Error", body, re.MULTILINE) is not None


def reports_new_failure(body: str, test_id: str) -> bool:
    """The tests section says failed and lists `test_id` among the new failures."""
    return "Status: **failed**" in body and f"\n- `{test_id}`" in _new_failures(body)


def _new_failures(body: str) -> str:
    """The "New failures" list of the tests section ("" when there is none)."""
    start = body.find("**New failures**")
    if start < 0:
        return ""
    end = body.find("\n\n", body.find(":\n\n", start) + 3)
    return body[start:end if end > 0 else len(body)]


def hard_case_table(cases: list[HardCase]) -> Table:
    table = Table(title="Planted hard cases")
    for column in ("case", "file", "category", "reported"):
        table.add_column(column)
    for case in cases:
        table.add_row(case.what, case.path, case.category, "yes" if case.reported else "[bold red]NO[/]")
    return table


def _owner(result: DemoResult, path: str) -> CategoryOutcome | None:
    category = category_for(load_campaign(result.repository / CAMPAIGN_PATH), path)
    return next((c for c in result.categories if category and c.category == category.name), None)


def _pull_label(c: CategoryOutcome) -> str:
    if c.pull_number is None:
        return "-"
    return f"#{c.pull_number}" + (" (draft)" if c.draft else "")
