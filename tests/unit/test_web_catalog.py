"""Where the dashboard's repositories come from: the App's installations (reused for a while) or, in token
mode, the repositories the workers remembered; one unreadable repository does not hide the others."""

from __future__ import annotations

import pytest

from bot.known_repos import remember_repo
from bot.settings import Settings
from bot.web import GitHubCatalog, install
from tests.fake_github.fixtures import APP_ID, PAT, AppKey
from tests.fake_github.server import FakeGitHub
from tests.redis_db import flushed_db, private_url

CAMPAIGN = """\
campaign: c1
title: C1
rules:
  - move: old.mod.Engine
    to: new.mod.Engine
categories:
  - {name: all, priority: 0, paths: ["**/*.py"]}
"""
TOKEN = "catalog-test-token-0123456789"
LIST = "GET /app/installations"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app_settings(fake_github: FakeGitHub, github_app_key: AppKey) -> Settings:
    for name in ("octo/one", "octo/two"):
        fake_github.create_repo(name, {".github/migrations/c1.yml": CAMPAIGN})
    return Settings(webhook_secret="s", app_id=APP_ID, private_key=github_app_key.private_pem,
                    api_url=fake_github.api_url, dashboard_token=TOKEN)


def test_installed_repositories_are_reused_for_a_while(fake_github: FakeGitHub, app_settings: Settings) -> None:
    clock = Clock()
    catalog = GitHubCatalog(app_settings, clock=clock)
    assert catalog.repos() == ["octo/one", "octo/two"] and fake_github.count(LIST) == 1
    clock.now = 59
    assert catalog.repos() == ["octo/one", "octo/two"] and fake_github.count(LIST) == 1
    assert catalog.forge("octo/one") is catalog.forge("octo/two")  # one installation, one forge (one ETag cache)
    clock.now = 61
    catalog.repos()
    assert fake_github.count(LIST) == 2
    with pytest.raises(KeyError):
        catalog.forge("octo/elsewhere")


def test_one_unreadable_repository_says_why_and_the_others_show(fake_github: FakeGitHub,
                                                               app_settings: Settings) -> None:
    from flask import Flask

    app = Flask("test")
    install(app, app_settings, GitHubCatalog(app_settings))
    fake_github.fail("GET /repos/{owner}/{repo}/contents/{path}", status=404, times=1)  # octo/one's folder
    repos = app.test_client().get("/api/repos", headers={"Authorization": f"Bearer {TOKEN}"}).get_json()["repos"]
    assert [(r["repo"], bool(r["error"]), [c["campaign"] for c in r["campaigns"]]) for r in repos] == [
        ("octo/one", False, []), ("octo/two", False, ["c1"])]
    fake_github.fail("GET /repos/{owner}/{repo}", status=502, times=1)
    repos = app.test_client().get("/api/repos", headers={"Authorization": f"Bearer {TOKEN}"}).get_json()["repos"]
    assert repos[0]["error"] and "502" in repos[0]["error"] and repos[1]["campaigns"]


def test_token_mode_lists_the_repositories_the_workers_remembered(fake_github: FakeGitHub) -> None:
    url = private_url(8)
    with flushed_db(url):
        settings = Settings(token=PAT, api_url=fake_github.api_url, redis_url=url)
        assert GitHubCatalog(settings).repos() == []
        remember_repo(settings, "octo/remembered", None)
        catalog = GitHubCatalog(settings)
        assert catalog.repos() == ["octo/remembered"]
        assert fake_github.count(LIST) == 0  # no App: GitHub has no list of installations to ask


def test_installations_unreadable_is_503_not_a_crash(fake_github: FakeGitHub, app_settings: Settings) -> None:
    from flask import Flask

    app = Flask("test")
    install(app, app_settings, GitHubCatalog(app_settings))
    fake_github.fail(LIST, status=502, times=1)
    client = app.test_client()
    answer = client.get("/api/repos", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 503 and "502" in answer.get_json()["error"]
    page = client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200 and b"octo/two" in page.data  # GitHub answered again: the list is back
    assert page.headers["Cache-Control"] == "no-store"
