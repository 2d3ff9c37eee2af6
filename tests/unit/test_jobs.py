"""The jobs over LocalForge and real git on the generated sample: pure orchestration, no Celery."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot import gitops, markers
from bot.demo.sample import generate_sample_repo
from bot.forge.base import Permanent
from bot.forge.local import LocalForge
from workers.contract import MIGRATE_CATEGORY
from workers.jobs import JobConfig, Outcome
from workers.jobs import migrate as jobs

REPO = "demo/sample"
CAMPAIGN_PATH = ".github/migrations/execution-engine-ssot.yml"
DEMO_CAMPAIGN = Path(__file__).resolve().parents[2] / "bot/demo/campaign.yml"
CATEGORY = "mission-critical"
BRANCH = markers.branch_name("execution-engine-ssot", CATEGORY)


def _campaign_text(rollout: str | None = None) -> str:
    """The demo campaign without its test command (these tests are about orchestration, not pytest)."""
    text = re.sub(r"(?ms)^validate:.*?(?=^rollout:)", "", DEMO_CAMPAIGN.read_text())
    if rollout is not None:
        text = re.sub(r"(?m)^rollout:.*$", f"rollout: {rollout}", text)
    return text


#: test files kept per category folder: enough to show the orchestration, few enough to stay fast
KEEP_PER_FOLDER = 3


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo sample, trimmed to a few test files per category folder."""
    path = tmp_path_factory.mktemp("sample") / "repo"
    generate_sample_repo(path)
    for folder in ("mission_critical", "integration", "e2e", "unit"):
        tests = sorted((path / "tests" / folder).rglob("test_*.py"))
        for extra in tests[KEEP_PER_FOLDER:]:
            extra.unlink()
    return path


def _repository(root: Path, template: Path, campaign_text: str) -> tuple[LocalForge, str]:
    repo = root / REPO
    shutil.copytree(template, repo)
    (repo / CAMPAIGN_PATH).parent.mkdir(parents=True)
    (repo / CAMPAIGN_PATH).write_text(campaign_text)
    return LocalForge(root), gitops.init_repository(repo)


@pytest.fixture()
def sample(tmp_path: Path, sample_template: Path) -> tuple[LocalForge, str]:
    return _repository(tmp_path / "forge", sample_template, _campaign_text())


def _migrate(forge: LocalForge, sha: str, tmp_path: Path) -> jobs.MigrationResult:
    return jobs.migrate_category(forge, REPO, sha, CAMPAIGN_PATH, CATEGORY, JobConfig(workdir=tmp_path))


def _queued(outcome: Outcome[list[str]]) -> list[tuple[str, dict]]:
    return [(job.task, dict(job.kwargs)) for job in outcome.follow_ups]


def test_start_campaign_enqueues_the_first_category_only_once(sample: tuple[LocalForge, str],
                                                              tmp_path: Path) -> None:
    forge, sha = sample
    outcome = jobs.start_campaign(forge, REPO, sha, None, JobConfig(workdir=tmp_path))
    assert outcome.result == [CATEGORY]
    assert _queued(outcome) == [(MIGRATE_CATEGORY, {"repo": REPO, "sha": sha, "campaign_path": CAMPAIGN_PATH,
                                          "category": CATEGORY})]
    _migrate(forge, sha, tmp_path)
    again = jobs.start_campaign(forge, REPO, sha, CAMPAIGN_PATH, JobConfig(workdir=tmp_path))
    assert again.result == [] and again.follow_ups == ()  # its PR is open: sequential waits
    assert [p.name for p in tmp_path.iterdir()] == ["forge"]  # every temporary clone is gone


def test_a_start_named_by_branch_hands_on_the_commit_it_read(sample: tuple[LocalForge, str],
                                                            tmp_path: Path) -> None:
    forge, sha = sample
    outcome = jobs.start_campaign(forge, REPO, forge.repo(REPO).default_branch, CAMPAIGN_PATH,
                                  JobConfig(workdir=tmp_path))
    assert [kwargs["sha"] for _, kwargs in _queued(outcome)] == [sha]  # the PR marker's base_sha must be a commit


def test_parallel_rollout_starts_up_to_max_open(tmp_path: Path, sample_template: Path) -> None:
    forge, sha = _repository(tmp_path / "forge", sample_template, _campaign_text("{order: parallel, max_open: 3}"))
    started = jobs.start_campaign(forge, REPO, sha, CAMPAIGN_PATH, JobConfig(workdir=tmp_path)).result
    assert started == ["mission-critical", "integration", "e2e"]


def test_migrate_opens_one_pull_and_a_rerun_updates_it(sample: tuple[LocalForge, str], tmp_path: Path) -> None:
    forge, sha = sample
    first = _migrate(forge, sha, tmp_path)
    assert isinstance(first, jobs.PullOpened) and not isinstance(first, jobs.PullUpdated)
    pull = forge.get_pull(REPO, first.number)
    assert pull.head_ref == BRANCH and pull.base_ref == "main"
    assert pull.title == "[migration] Migrate ExecutionEngine to UserExecutionEngine: mission-critical"
    assert markers.parse_marker(pull.body) == markers.PullMarker("execution-engine-ssot", CATEGORY, sha)
    assert set(pull.labels) == {markers.LABEL_BOT, "migration:execution-engine-ssot"}
    changed = gitops.run_git(["diff", "--name-only", f"{sha}..{BRANCH}"], cwd=forge.root / REPO).split()
    assert changed and all(p.startswith("tests/mission_critical/") for p in changed)
    assert first.totals["files_changed"] == len(changed) and first.totals["references_removed"] > 0
    [stamp] = gitops.commit_stamps(forge.root / REPO, BRANCH, limit=1)
    assert stamp.by_bot

    second = _migrate(forge, sha, tmp_path)
    assert isinstance(second, jobs.PullUpdated) and second.number == first.number and not second.pushed
    assert gitops.head_sha(forge.root / REPO, BRANCH) == pull.head_sha  # no empty commit pushed
    assert len(forge.list_pulls(REPO, markers.campaign_branch_prefix("execution-engine-ssot"))) == 1


def test_human_commit_on_the_branch_is_never_pushed_over(sample: tuple[LocalForge, str], tmp_path: Path) -> None:
    forge, sha = sample
    opened = _migrate(forge, sha, tmp_path)
    repo = forge.root / REPO
    gitops.run_git(["checkout", "--quiet", BRANCH], cwd=repo)
    (repo / "NOTES.md").write_text("a human was here\n")
    gitops.run_git(["add", "NOTES.md"], cwd=repo)
    gitops.run_git(["-c", "user.name=Human", "-c", "user.email=human@example.com", "commit", "--quiet",
                    "--author=Human <human@example.com>", "-m", "human fix"], cwd=repo)
    human_head = gitops.head_sha(repo)
    gitops.run_git(["checkout", "--quiet", "main"], cwd=repo)

    result = _migrate(forge, sha, tmp_path)
    assert isinstance(result, jobs.HumanCommitsFound) and result.commits == (human_head,)
    assert gitops.head_sha(repo, BRANCH) == human_head
    [comment] = forge.comments(REPO, opened.number)
    assert markers.comment_marker(jobs.HUMAN_COMMITS_CONCERN) in comment["body"]
    assert isinstance(_migrate(forge, sha, tmp_path), jobs.HumanCommitsFound)
    assert len(forge.comments(REPO, opened.number)) == 1  # edited, not re-posted


def test_nothing_to_change_opens_nothing(sample: tuple[LocalForge, str], tmp_path: Path) -> None:
    forge, sha = sample
    opened = _migrate(forge, sha, tmp_path)
    merged = forge.merge_pull(REPO, opened.number, sha=forge.get_pull(REPO, opened.number).head_sha,
                              method="squash", title="merge")
    result = _migrate(forge, merged, tmp_path)
    assert isinstance(result, jobs.NothingToChange)
    assert len(forge.list_pulls(REPO, markers.BRANCH_PREFIX)) == 1


def test_a_broken_campaign_is_permanent_with_its_line(tmp_path: Path, sample_template: Path) -> None:
    forge, sha = _repository(tmp_path / "forge", sample_template, _campaign_text().replace("move:", "moove:"))
    with pytest.raises(Permanent, match=re.escape(CAMPAIGN_PATH) + r":\d+"):
        jobs.start_campaign(forge, REPO, sha, CAMPAIGN_PATH, JobConfig(workdir=tmp_path))



def test_an_unknown_category_is_permanent(sample: tuple[LocalForge, str], tmp_path: Path) -> None:
    forge, sha = sample
    with pytest.raises(Permanent, match="no category"):
        jobs.migrate_category(forge, REPO, sha, CAMPAIGN_PATH, "nope", JobConfig(workdir=tmp_path))
