"""The web dashboard in a real headless Chromium, over a campaign driven through the fake GitHub.

The web app is the real one (`create_app`, App credentials, the App's installations read from the fake),
served over HTTP; sign-in goes through the login form (shared token) or GitHub's OAuth web flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.app import create_app
from bot.forge.github import GitHubForge
from bot.settings import Settings
from tests.browser import chromium, served
from tests.fake_github.fixtures import APP_ID, PAT, AppKey
from tests.fake_github.server import FakeGitHub
from tests.web_story import CAMPAIGN_ID, REPO, TOTALS, Story, drive

pytestmark = pytest.mark.integration

TOKEN = "dashboard-token-for-the-tests-0123"
CLIENT_ID, CLIENT_SECRET = "Iv1.fakeclient", "fake-client-secret"


@pytest.fixture
def story(fake_github: FakeGitHub) -> Story:
    return drive(fake_github, GitHubForge(Settings(token=PAT, api_url=fake_github.api_url), None))


@pytest.fixture
def dashboard(fake_github: FakeGitHub, github_app_key: AppKey) -> Iterator[str]:
    settings = Settings(webhook_secret="s3cret", app_id=APP_ID, private_key=github_app_key.private_pem,
                        api_url=fake_github.api_url, dashboard_token=TOKEN, oauth_client_id=CLIENT_ID,
                        oauth_client_secret=CLIENT_SECRET, redis_url="redis://127.0.0.1:1/0")
    app = create_app(settings, redis_client=redis.Redis(port=1))  # the pages never touch Redis
    with served(app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as context:
        yield context


def _watch(page: Any) -> list[str]:
    """Console errors and uncaught page errors, collected as they happen."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _sign_in_with_token(page: Any, url: str) -> None:
    page.goto(url + "/")
    assert page.url.startswith(url + "/login")  # nothing public: the page sends us to sign in
    page.fill("#token", TOKEN)
    page.click("form button[type=submit]")
    page.wait_for_url(url + "/")


def test_campaign_page_shows_states_and_one_chart_point_per_change(story: Story, dashboard: str, browser: Any,
                                                                   tmp_path: Path) -> None:
    page = browser.new_page()
    errors = _watch(page)
    _sign_in_with_token(page, dashboard)
    assert page.inner_text("h2#repo-1") == REPO
    page.click("section.repo table a")  # the campaign's link in the repository list
    page.wait_for_url(f"{dashboard}/{REPO}/campaigns/{CAMPAIGN_ID}")

    shown = {row.get_attribute("data-category"): row.query_selector(".badge").inner_text()
             for row in page.query_selector_all("#category-table tbody tr")}
    assert shown == story.statuses == {"mission-critical": "merged", "integration": "merged", "e2e": "merged",
                                       "unit": "green", "tools": "open"}
    assert page.inner_text("#phase") == "in progress"
    points = page.query_selector_all("#burndown-chart g.point")
    # a point each time progress moved: five PRs reporting totals, then three merges (not the greens or failures)
    assert len(points) == story.points == 8
    # unit and tools not merged yet, and the 2 references integration's PR left in its files
    assert points[-1].get_attribute("data-total") == str(57 + 3 + 14 + 1 + 2)
    lines = {g.get_attribute("data-category") for g in page.query_selector_all("#burndown-chart g.category")}
    assert lines == set(TOTALS)
    timeline = page.inner_text("ol.timeline")
    assert "the required checks failed; the PR was closed" in timeline and "retried after a failure" in timeline
    page.click("#summary-unit > summary")
    assert page.is_visible("#summary-unit table")  # the validation summary, rendered from the PR's markdown
    page.screenshot(path=str(tmp_path / "campaign.png"), full_page=True)
    assert (tmp_path / "campaign.png").stat().st_size > 10_000
    assert errors == []


def test_api_needs_a_bearer_token_and_matches_the_page(story: Story, dashboard: str, browser: Any) -> None:
    request = browser.request
    refused = request.get(f"{dashboard}/api/{REPO}/campaigns/{CAMPAIGN_ID}")
    assert refused.status == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    answer = request.get(f"{dashboard}/api/{REPO}/campaigns/{CAMPAIGN_ID}",
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200
    body = answer.json()
    assert {c["name"]: c["status"] for c in body["categories"]} == story.statuses
    assert len(body["history"]) == story.points and body["history"][-1]["left"] == 77
    repos = request.get(f"{dashboard}/api/repos", headers={"Authorization": f"Bearer {TOKEN}"}).json()["repos"]
    assert [(r["repo"], [c["campaign"] for c in r["campaigns"]]) for r in repos] == [(REPO, [CAMPAIGN_ID])]


def test_github_sign_in_shows_only_repositories_the_user_can_read(story: Story, fake_github: FakeGitHub,
                                                                  dashboard: str, browser: Any) -> None:
    fake_github.create_repo("octo/secret", {".github/migrations/x.yml": "campaign: x\n"})
    fake_github.set_permission(REPO, "alice", "read")
    fake_github.oauth.clients[CLIENT_ID] = CLIENT_SECRET
    fake_github.oauth.approver = "alice"
    page = browser.new_page()
    errors = _watch(page)
    page.goto(f"{dashboard}/login")
    page.click("text=Sign in with GitHub")  # to the fake's authorize page, which approves as alice
    page.wait_for_url(dashboard + "/")
    assert page.inner_text("header.site span") == "alice"
    assert [h.inner_text() for h in page.query_selector_all("section.repo h2")] == [REPO]
    shown = page.goto(f"{dashboard}/{REPO}/campaigns/{CAMPAIGN_ID}")
    assert shown is not None and shown.status == 200
    assert page.inner_text("#phase") == "in progress"
    assert errors == []
    hidden = page.goto(f"{dashboard}/octo/secret/campaigns/x")  # installed, but alice cannot read it
    assert hidden is not None and hidden.status == 404
    assert fake_github.count("POST /login/oauth/access_token") == 1


def test_declined_sign_in_is_refused(fake_github: FakeGitHub, dashboard: str, browser: Any) -> None:
    fake_github.oauth.clients[CLIENT_ID] = CLIENT_SECRET
    fake_github.oauth.approver = None  # the person declines on GitHub's page
    page = browser.new_page()
    page.goto(f"{dashboard}/login/github")
    assert "/oauth/callback" in page.url and page.inner_text("[role=alert]") == "GitHub sign-in was declined."
    assert fake_github.count("POST /login/oauth/access_token") == 0
    assert page.goto(dashboard + "/") is not None and page.url.startswith(dashboard + "/login")


def test_code_exchange_refused_by_github_is_a_failed_sign_in(fake_github: FakeGitHub, dashboard: str,
                                                            browser: Any) -> None:
    fake_github.oauth.clients[CLIENT_ID] = "not-the-secret-the-app-holds"
    fake_github.oauth.approver = "alice"
    page = browser.new_page()
    page.goto(f"{dashboard}/login/github")
    assert page.inner_text("[role=alert]") == "GitHub did not accept the sign-in; try again."
    assert fake_github.count("POST /login/oauth/access_token") == 1 and fake_github.oauth.issued == []
    assert page.goto(dashboard + "/") is not None and page.url.startswith(dashboard + "/login")
