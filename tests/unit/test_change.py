"""One category's change in a clone (workers.change), on a real git repository: plan, apply, commit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import gitops
from bot.campaign.load import parse_campaign
from bot.campaign.spec import Campaign
from bot.engine.plan import plan_campaign
from bot.engine.tree import DirectoryTree
from bot.forge.base import Permanent
from tests.rollout_world import CAMPAIGN_PATH, campaign_text
from workers.change import (
    UNASSIGNED,
    build_change,
    commit_message,
    load_campaign_text,
    planned_files,
    remaining_references,
)

SOURCE = "from old.mod import Engine\n\nEngine()\n"
BRANCH = "migration-bot/mig/core"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for path, text in {CAMPAIGN_PATH: campaign_text(), "core/mod.py": SOURCE, "api/mod.py": SOURCE,
                       "other/mod.py": SOURCE}.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    gitops.init_repository(repo)
    return repo


@pytest.fixture
def campaign() -> Campaign:
    return parse_campaign(campaign_text(), source=CAMPAIGN_PATH)


def test_the_change_is_committed_on_its_branch(clone: Path, campaign: Campaign) -> None:
    base = gitops.head_sha(clone)
    change = build_change(clone, campaign, "core", BRANCH)
    assert change.commit is not None and gitops.head_sha(clone) == change.commit != base
    assert [f.path for f in change.report.files] == ["core/mod.py"]
    assert "new.mod" in (clone / "core/mod.py").read_text() and (clone / "api/mod.py").read_text() == SOURCE
    assert change.report.remaining["core"] == 0 and change.report.remaining["api"] > 0
    assert change.report.remaining[UNASSIGNED] > 0  # other/ is in no category
    assert not change.draft and change.campaign is campaign and change.category == "core"


def test_nothing_to_change_commits_nothing(clone: Path, campaign: Campaign) -> None:
    base = gitops.head_sha(clone)
    change = build_change(clone, campaign, "web", BRANCH)
    assert change.commit is None and not change.report.files
    assert gitops.head_sha(clone) == base


def test_an_unknown_category_is_permanent(clone: Path, campaign: Campaign) -> None:
    with pytest.raises(Permanent, match="no category 'nope'"):
        build_change(clone, campaign, "nope", BRANCH)


def test_planned_files_per_category(clone: Path, campaign: Campaign) -> None:
    assert planned_files(clone, campaign) == {"core": 1, "api": 1, "web": 0}


def test_remaining_references_name_the_unassigned_ones(clone: Path, campaign: Campaign) -> None:
    plan = plan_campaign(campaign, DirectoryTree(clone), user_root=clone)
    remaining = remaining_references(plan)
    assert set(remaining) == {"core", "api", "web", UNASSIGNED}
    assert remaining[UNASSIGNED] == plan.unassigned_references > 0


def test_the_commit_message_lists_the_files(clone: Path, campaign: Campaign) -> None:
    report = build_change(clone, campaign, "core", BRANCH).report
    message = commit_message(campaign, report)
    assert message.startswith("[migration] Mig: core\n\n") and "- core/mod.py" in message
    assert gitops.run_git(["log", "-1", "--format=%B"], cwd=clone).strip() == message.strip()


def test_campaign_text_missing_or_broken_is_permanent() -> None:
    with pytest.raises(Permanent, match="not found"):
        load_campaign_text(None, CAMPAIGN_PATH)
    with pytest.raises(Permanent, match=re.escape(CAMPAIGN_PATH) + r":\d+"):
        load_campaign_text(campaign_text().replace("move:", "moove:"), CAMPAIGN_PATH)
