"""One category's change in a fresh clone: plan, baseline tests, apply, tests again, validate, commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from bot import gitops
from bot.campaign.load import CampaignError, parse_campaign
from bot.campaign.spec import Campaign
from bot.engine.apply import apply_rules, write_results
from bot.engine.plan import Plan, plan_campaign
from bot.engine.tree import DirectoryTree
from bot.engine.validate import TestComparison, ValidationReport, validate_category
from bot.forge.base import Permanent
from bot.testrun import is_test_file, run_tests

log = logging.getLogger(__name__)

UNASSIGNED = "(unassigned)"


@dataclass(frozen=True)
class CategoryChange:
    """What the engine made of one category in a clone; `commit` is None when nothing changed."""

    campaign: Campaign
    category: str
    report: ValidationReport
    commit: str | None  #: the bot's commit on the category branch, checked out in the clone

    @property
    def draft(self) -> bool:
        """Opened as a draft when a human must look first: new test failures or unmappable calls."""
        totals = self.report.totals
        return bool(totals["new_test_failures"] or totals["unmappable_calls"])


def load_campaign_text(text: str | None, path: str) -> Campaign:
    """The campaign from its file text; a missing or wrong file is Permanent, with file:line in the reason."""
    if text is None:
        raise Permanent(f"{path}: campaign file not found at this commit")
    try:
        return parse_campaign(text, source=path)
    except CampaignError as error:
        log.warning("campaign file rejected", extra={"path": path, "problems": [str(p) for p in error.problems]})
        raise Permanent(str(error)) from None


def remaining_references(plan: Plan) -> dict[str, int]:
    remaining = {c.name: c.references for c in plan.categories}
    if plan.unassigned_references:
        remaining[UNASSIGNED] = plan.unassigned_references
    return remaining


def planned_files(clone: Path, campaign: Campaign) -> dict[str, int]:
    """Files each category would change at the checked-out commit (0: nothing to do there)."""
    plan = plan_campaign(campaign, DirectoryTree(clone), user_root=clone)
    return {c.name: len(c.files) for c in plan.categories}


def commit_message(campaign: Campaign, report: ValidationReport) -> str:
    totals = report.totals
    files = "\n".join(f"- {f.path}" for f in report.files)
    return (
        f"{campaign.pull_title(report.category)}\n\n"
        f"Campaign: {campaign.id}\nCategory: {report.category}\n"
        f"Files changed: {totals['files_changed']}\nReferences removed: {totals['references_removed']}\n\n"
        f"{files}\n"
    )


def build_change(clone: Path, campaign: Campaign, category: str, branch: str) -> CategoryChange:
    """Applies `category` in `clone` (checked out at the base) on a new local `branch` and commits it.

    The baseline test run happens on the untouched files, the second run after writing, in the same
    clone, so only new failures count. Nothing is pushed here.
    """
    try:
        campaign.category(category)
    except KeyError:
        raise Permanent(f"{campaign.source}: no category {category!r} in campaign {campaign.id}") from None
    tree = DirectoryTree(clone)
    plan = plan_campaign(campaign, tree, user_root=clone)
    results = apply_rules(campaign, tree, plan.category(category).files, user_root=clone)
    tests_files = sorted(r.path for r in results if r.changed and is_test_file(r.path))
    settings = campaign.validate
    run = bool(settings.tests and tests_files)
    baseline = run_tests(settings.tests, tests_files, clone, settings.timeout) if run and settings.baseline else None
    gitops.checkout_branch(clone, branch)
    write_results(clone, results)
    tests = None
    if run:
        tests = TestComparison(baseline, run_tests(settings.tests, tests_files, clone, settings.timeout),
                               tuple(tests_files))
    report = validate_category(campaign, category, results, tests, {})
    # the plan before the change, minus what this change removed: no second pass over the repository
    remaining = remaining_references(plan)
    remaining[category] = max(remaining.get(category, 0) - report.totals["references_removed"], 0)
    report = replace(report, remaining=remaining)
    commit = gitops.commit_all(clone, commit_message(campaign, report)) if report.files else None
    return CategoryChange(campaign, category, report, commit)
