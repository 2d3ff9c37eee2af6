"""What the demo shows on a terminal: one table for the campaign and a check of the planted hard cases.

Returns rich renderables and plain values; the console script prints them.
"""

from __future__ import annotations

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
        ("aliased import migrated", sample.aliased_import, lambda body: f"`{sample.aliased_import}`" in body),
        ("**kwargs call flagged as unmappable", sample.kwargs_call,
         lambda body: sample.kwargs_call in body and "unmappable" in body.lower()),
        ("file with a syntax error left alone and reported", sample.syntax_error,
         lambda body: sample.syntax_error in body and "Syntax Error" in body),
        ("test broken by the migration caught", sample.broken_test,
         lambda body: sample.broken_test_id in body),
    )
    found = []
    for what, path, check in cases:
        owner = _owner(result, path)
        found.append(HardCase(what, path, owner.category if owner else "-", bool(owner and check(owner.body))))
    return found


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
