"""The CHECK_CAMPAIGN task, run eagerly in-process on the offline LocalForge: registered, locked, reported."""

from __future__ import annotations

from pathlib import Path

from celery import Celery

from bot import gitops, markers
from bot.forge.local import LocalForge
from bot.settings import Settings
from workers import tasks
from workers.celery_app import make_celery, settings_of
from workers.contract import CHECK_CAMPAIGN
from workers.jobs.campaign_check import CHECK_NAME
from workers.locks import ThreadRepoLock

REPO = "acme/app"
PATH = ".github/migrations/engine.yaml"
BROKEN = "campaign: engine\ntitle: Engine\nrules: []\ncategories: 7\n"


def _app(tmp_path: Path) -> Celery:
    celery = make_celery(Settings(eager=True, redis_url="memory://", workdir=str(tmp_path)))
    celery.conf.update(result_backend="cache+memory://", broker_url="memory://", task_eager_propagates=True)
    return celery


def test_the_task_sets_the_check_and_the_action_required_dashboard(tmp_path: Path) -> None:
    (tmp_path / REPO / PATH).parent.mkdir(parents=True)
    (tmp_path / REPO / PATH).write_text(BROKEN)
    sha = gitops.init_repository(tmp_path / REPO)
    app, forge = _app(tmp_path), LocalForge(tmp_path)
    runtime = tasks.Runtime(settings_of(app), lambda installation_id: forge, ThreadRepoLock())
    kwargs = {"repo": REPO, "installation_id": None, "sha": sha, "paths": None, "branch": "main"}
    with tasks.using(runtime):
        result = app.tasks[CHECK_CAMPAIGN].apply(kwargs=kwargs).get()
    assert result["conclusion"] == "failure" and result["files"] == [PATH]  # .yaml found by the .yml glob
    report = forge.check_report(REPO, sha, CHECK_NAME)
    assert report is not None and report.conclusion == "failure"
    assert {(a.path, a.line) for a in report.annotations} == {(PATH, 3), (PATH, 4)}
    issue = forge.find_issue(REPO, markers.dashboard_marker("engine"))
    assert issue is not None
    assert issue.body.startswith("**Action required**") and f"{PATH}:4: categories" in issue.body
