"""One category's change in a fresh clone: plan, baseline tests, apply, tests again, validate, commit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bot import gitops
from bot.campaign.load import CampaignError, parse_campaign
from bot.campaign.spec import Campaign, CodemodRule
from bot.engine.apply import apply_rules, write_results
from bot.engine.codemods.user import codemods_run_by
from bot.engine.plan import plan_campaign
from bot.engine.tree import DirectoryTree
from bot.engine.validate import (
    UNASSIGNED,
    TestComparison,
    TestStatus,
    ValidationReport,
    remaining_references,
    validate_category,
)
from bot.forge.base import Permanent
from bot.sandbox import NoSandbox, SandboxedCodemods
from bot.testrun import TestSetup, compare_tests

log = logging.getLogger(__name__)

__all__ = ["UNASSIGNED", "CategoryChange", "build_change", "commit_message", "load_campaign_text",
           "planned_files", "remaining_references", "user_codemods"]


@dataclass(frozen=True)
class CategoryChange:
    """What the engine made of one category in a clone; `commit` is None when nothing changed."""

    campaign: Campaign
    category: str
    report: ValidationReport
    commit: str | None  #: the bot's commit on the category branch, checked out in the clone

    @property
    def draft(self) -> bool:
        """Opened as a draft when a human must look first: tests that failed or did not run, or
        unmappable calls. Automerge never merges a draft."""
        passed = self.report.test_status in (TestStatus.PASSED, TestStatus.NOT_CONFIGURED)
        return not passed or bool(self.report.totals["unmappable_calls"])


def load_campaign_text(text: str | None, path: str) -> Campaign:
    """The campaign from its file text; a missing or wrong file is Permanent, with file:line in the reason."""
    if text is None:
        raise Permanent(f"{path}: campaign file not found at this commit")
    try:
        return parse_campaign(text, source=path)
    except CampaignError as error:
        log.warning("campaign file rejected", extra={"path": path, "problems": [str(p) for p in error.problems]})
        raise Permanent(str(error)) from None


def planned_files(clone: Path, campaign: Campaign) -> dict[str, int]:
    """Files each category would change at the checked-out commit (0: nothing to do there)."""
    with user_codemods(clone, campaign, TestSetup.for_worker()):
        plan = plan_campaign(campaign, DirectoryTree(clone), user_root=clone)
    return {c.name: len(c.files) for c in plan.categories}


@contextmanager
def user_codemods(clone: Path, campaign: Campaign, setup: TestSetup) -> Iterator[None]:
    """`codemod:` rules run in the sandbox (never in this process); with no sandbox, Permanent."""
    targets = [r.target for r in campaign.rules if isinstance(r, CodemodRule)]
    if targets and isinstance(setup.runner, NoSandbox):
        raise Permanent(f"{campaign.source}: codemod rule {targets[0]!r} cannot run: {setup.runner.reason}")
    with codemods_run_by(SandboxedCodemods(setup.runner, clone) if targets else None):
        yield


def commit_message(campaign: Campaign, report: ValidationReport) -> str:
    totals = report.totals
    files = "\n".join(f"- {f.path}" for f in report.files)
    return (
        f"[migration] {campaign.title}: {report.category}\n\n"
        f"Campaign: {campaign.id}\nCategory: {report.category}\n"
        f"Files changed: {totals['files_changed']}\nReferences removed: {totals['references_removed']}\n\n"
        f"{files}\n"
    )


def build_change(clone: Path, campaign: Campaign, category: str, branch: str, *,
                 tests: TestSetup | None = None) -> CategoryChange:
    """Applies `category` in `clone` (checked out at the base) on a new local `branch` and commits it.

    Only the files the codemods changed are committed; then the tests run (in the worker's sandbox
    unless `tests` says otherwise) on the base, in a worktree of its own, and on the commit, and
    whatever they wrote is wiped from the clone. Nothing is pushed here.
    """
    try:
        campaign.category(category)
    except KeyError:
        raise Permanent(f"{campaign.source}: no category {category!r} in campaign {campaign.id}") from None
    setup = tests or TestSetup.for_worker()
    tree = DirectoryTree(clone)
    with user_codemods(clone, campaign, setup):
        plan = plan_campaign(campaign, tree, user_root=clone)
        results = apply_rules(campaign, tree, plan.category(category).files, user_root=clone)
    base = gitops.head_sha(clone)
    gitops.checkout_branch(clone, branch)
    write_results(clone, results)
    report = validate_category(campaign, category, results, None, {})
    commit = gitops.commit_all(clone, commit_message(campaign, report)) if report.files else None
    if commit is not None:
        report = replace(report, tests=_category_tests(clone, base, campaign, report, setup))
    # the plan before the change, minus what this change removed: no second pass over the repository
    remaining = remaining_references(plan)
    remaining[category] = max(remaining.get(category, 0) - report.totals["references_removed"], 0)
    report = replace(report, remaining=remaining)
    return CategoryChange(campaign, category, report, commit)


def _category_tests(clone: Path, base: str, campaign: Campaign, report: ValidationReport,
                    setup: TestSetup) -> TestComparison | None:
    """The tests on `base` (a worktree of its own) and on the clone's commit; the clone is then reset
    to that commit, so nothing the tests (or the setup) wrote can reach the branch."""
    changed = [f.path for f in report.files]
    try:
        with gitops.temporary_worktree(clone, base) as before:
            return compare_tests(campaign.validate, changed, after=clone, before=before, setup=setup)
    finally:
        gitops.run_git(["reset", "--hard", "--quiet", "HEAD"], cwd=clone)
        gitops.run_git(["clean", "-d", "-x", "--force", "--quiet"], cwd=clone)
