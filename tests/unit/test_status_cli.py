"""`migration-bot status --local`: the state of a LocalForge folder the jobs made, as JSON and text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import gitops, markers
from bot.cli import EXIT_OK, EXIT_REPO, main
from bot.forge.local import LocalForge
from tests.rollout_world import CAMPAIGN_PATH, campaign_text
from workers.jobs import JobConfig, migrate

REPO = "octo/app"
SOURCE = "from old.mod import Engine\n\nEngine()\n"


@pytest.fixture()
def forge(tmp_path: Path) -> LocalForge:
    """core and api have code to migrate, web has none; the jobs open core's and api's PRs."""
    repo = tmp_path / REPO
    for path, text in {CAMPAIGN_PATH: campaign_text(order="parallel", max_open=3), "core/mod.py": SOURCE,
                       "api/mod.py": SOURCE}.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    sha = gitops.init_repository(repo)
    forge = LocalForge(tmp_path)
    config = JobConfig(workdir=tmp_path)
    for job in migrate.start_campaign(forge, REPO, sha, CAMPAIGN_PATH, config).follow_ups:
        migrate.migrate_category(forge, REPO, sha, CAMPAIGN_PATH, job.kwargs["category"], config)
    return forge


def _status(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, str]:
    code = main(["status", "mig", "--repo", REPO, "--local", str(root), *extra])
    return code, capsys.readouterr().out


def test_json_after_the_jobs(forge: LocalForge, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _status(capsys, forge.root, "--json")
    assert code == EXIT_OK
    assert json.loads(out) == {"campaign": "mig", "paused": False, "finished": False, "categories": [
        {"name": "core", "status": "open", "pull": 1}, {"name": "api", "status": "open", "pull": 2},
        {"name": "web", "status": "empty", "pull": None}]}


def test_finished_once_merged_or_skipped(forge: LocalForge, capsys: pytest.CaptureFixture[str]) -> None:
    core = forge.get_pull(REPO, 1)
    forge.merge_pull(REPO, 1, sha=core.head_sha, method="squash", title="core")
    forge.add_labels(REPO, 2, [markers.LABEL_SKIPPED])
    forge.edit_pull(REPO, 2, state="closed")
    code, out = _status(capsys, forge.root, "--json")
    assert code == EXIT_OK and json.loads(out)["finished"] is True
    code, text = _status(capsys, forge.root)
    assert "mig (Mig): finished" in text and "Dashboard: issue #1" in text
    assert [line.split()[:3] for line in text.splitlines()[2:]] == [["core", "merged", "#1"],
                                                                     ["api", "skipped", "#2"], ["web", "empty", "-"]]


def test_dashboard_written_by_the_jobs(forge: LocalForge) -> None:
    issue = forge.find_issue(REPO, markers.dashboard_marker("mig"))
    assert issue is not None and issue.state == "open" and issue.title == "Migration dashboard: Mig"
    assert "| open | [#2]" in issue.body and "| empty |" in issue.body


def test_unknown_campaign_is_a_repository_error(forge: LocalForge, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "nope", "--repo", REPO, "--local", str(forge.root)]) == EXIT_REPO
    assert "no campaign 'nope'" in capsys.readouterr().err


def test_dashboard_job_is_idempotent_on_the_local_forge(forge: LocalForge) -> None:
    from workers.jobs.dashboard import update_dashboard

    folder = forge.root / ".migration-bot/issues" / REPO
    before = (folder / "1.json").read_text()
    assert update_dashboard(forge, REPO, CAMPAIGN_PATH).action == "unchanged"
    assert (folder / "1.json").read_text() == before and len(list(folder.glob("*.json"))) == 1
    forge.add_labels(REPO, 1, [markers.LABEL_FAILED])
    assert update_dashboard(forge, REPO, CAMPAIGN_PATH).action == "edited"
    assert len(list(folder.glob("*.json"))) == 1 and "| failed |" in (folder / "1.json").read_text()
