"""Who gets in: nothing public, a bearer or form token, GitHub sign-in's first steps, no open redirect.

The dashboard runs over a real local repository (the demo's LocalForge) with one campaign and one PR.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import gitops, markers
from bot.forge.local import LocalForge
from bot.settings import Settings
from bot.web import LocalCatalog, install
from bot.web.local import local_app

REPO = "acme/app"
TOKEN = "a-dashboard-token-long-enough"
CAMPAIGN = """\
campaign: c1
title: Move <old>
rules:
  - move: old.mod.Engine
    to: new.mod.Engine
categories:
  - {name: unit, priority: 0, paths: ["tests/**/*.py"]}
  - {name: rest, priority: 1, paths: ["**/*.py"]}
"""
CAMPAIGN_URL = f"/{REPO}/campaigns/c1"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / REPO
    (repo / ".github/migrations").mkdir(parents=True)
    (repo / ".github/migrations/c1.yml").write_text(CAMPAIGN)
    (repo / "tests").mkdir()
    (repo / "tests/test_a.py").write_text("import old.mod\n")
    gitops.init_repository(repo)
    branch = markers.branch_name("c1", "unit")
    gitops.checkout_branch(repo, branch)
    (repo / "tests/test_a.py").write_text("import new.mod\n")
    gitops.commit_all(repo, "migrate")
    gitops.run_git(["checkout", "--quiet", "main"], cwd=repo)
    body = ("## Move: `unit`\n\n<script>alert(1)</script>\n\n### Totals\n\n- files changed: 1\n"
            "- references removed: 4, left in changed files: 1\n\n"
            + markers.render_marker(markers.PullMarker("c1", "unit", "abc")))
    LocalForge(tmp_path).open_pull(REPO, head=branch, base="main", title="[migration] unit", body=body, draft=False)
    return tmp_path


def _app(root: Path, **settings: str | None) -> Flask:
    app = Flask("test")
    fields: dict[str, str | None] = {"session_secret": "s" * 32, **settings}
    install(app, Settings(**fields), LocalCatalog(root, [REPO]))  # type: ignore[arg-type]
    return app


@pytest.fixture
def client(root: Path) -> FlaskClient:
    return _app(root, dashboard_token=TOKEN).test_client()


@pytest.mark.parametrize("path", ["/", CAMPAIGN_URL])
def test_pages_send_strangers_to_sign_in(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == [path]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-wrong-token", f"Basic {TOKEN}", "Bearer "])
def test_api_refuses_without_the_token(client: FlaskClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = client.get(f"/api{CAMPAIGN_URL}", headers=headers)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/repos", headers=headers).status_code == 401


def test_bearer_token_reads_the_api(client: FlaskClient) -> None:
    answer = client.get(f"/api{CAMPAIGN_URL}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["campaign"], body["phase"], body["total"]) == ("c1", "in progress", 2)
    assert [(c["name"], c["status"], c["removed"], c["left"]) for c in body["categories"]] == [
        ("unit", "open", 4, 1), ("rest", "pending", None, None)]


def test_login_form_sets_a_session_and_a_wrong_token_is_refused(client: FlaskClient) -> None:
    assert client.post("/login", data={"token": "nope", "next": "/"}).status_code == 401
    assert client.get("/").status_code == 302
    signed_in = client.post("/login", data={"token": TOKEN, "next": CAMPAIGN_URL})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == CAMPAIGN_URL
    page = client.get(CAMPAIGN_URL)
    assert page.status_code == 200 and b"Move &lt;old&gt;" in page.data
    assert b"<script>" not in page.data and b"&lt;script&gt;" in page.data  # a PR body never runs as HTML
    assert client.get("/api/repos").status_code == 200  # the session works for the API too
    client.post("/logout")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil.example", "", "x"])
def test_login_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    answer = client.post("/login", data={"token": TOKEN, "next": target})
    assert answer.headers["Location"] == "/"


def test_a_session_dies_with_the_token_that_made_it(root: Path) -> None:
    old = _app(root, dashboard_token=TOKEN).test_client()
    old.post("/login", data={"token": TOKEN, "next": "/"})
    cookie = old.get_cookie("migration_bot_session")
    assert cookie is not None
    new = _app(root, dashboard_token="a-new-token-after-rotation").test_client()
    new.set_cookie("migration_bot_session", cookie.value)
    assert new.get("/").status_code == 302


def test_an_expired_session_is_refused(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["viewer"] = {"via": "github", "login": "alice", "repos": [REPO], "until": time.time() - 1}
    assert client.get("/").status_code == 302


def test_a_github_viewer_sees_only_what_they_can_read(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["viewer"] = {"via": "github", "login": "bob", "repos": [], "until": time.time() + 60}
    index = client.get("/")
    assert index.status_code == 200 and REPO.encode() not in index.data and b"bob" in index.data
    assert client.get(CAMPAIGN_URL).status_code == 404
    assert client.get(f"/api{CAMPAIGN_URL}").status_code == 404


def test_unknown_campaign_is_404(client: FlaskClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    missing = client.get(f"/api/{REPO}/campaigns/nope", headers=headers)
    assert missing.status_code == 404 and "error" in missing.get_json()
    assert client.get(f"/api/{REPO}/campaigns/.github%2Fmigrations%2Fc1.yml", headers=headers).status_code == 404
    assert client.get("/api/other/repo/campaigns/c1", headers=headers).status_code == 404


def test_without_any_sign_in_configured_nothing_opens(root: Path) -> None:
    client = _app(root).test_client()
    page = client.get("/login")
    assert page.status_code == 200 and b"Sign-in is not configured" in page.data and b'name="token"' not in page.data
    assert client.post("/login", data={"token": ""}).status_code == 401
    assert client.get("/api/repos", headers={"Authorization": "Bearer "}).status_code == 401


def test_github_only_login_goes_to_the_authorize_url_with_a_state(root: Path) -> None:
    client = _app(root, oauth_client_id="Iv1.abc", oauth_client_secret="secret",
                  api_url="https://ghe.example.test/api/v3").test_client()
    first = client.get("/login?next=/acme/app/campaigns/c1")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login/github")
    authorize = client.get(first.headers["Location"])
    url = urlsplit(authorize.headers["Location"])
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", "ghe.example.test", "/login/oauth/authorize")
    assert query["client_id"] == ["Iv1.abc"] and query["redirect_uri"] == ["http://localhost/oauth/callback"]
    with client.session_transaction() as session:
        assert session["oauth_state"] == query["state"][0] and session["oauth_next"] == CAMPAIGN_URL
    forged = client.get("/oauth/callback?code=x&state=not-the-state")
    assert forged.status_code == 400 and client.get("/").status_code == 302


def test_pages_are_never_cached_framed_or_scripted(client: FlaskClient) -> None:
    answer = client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
    assert client.get("/login").headers["Content-Security-Policy"] == policy


def test_demo_serve_app_reads_the_local_forge(root: Path) -> None:
    client = local_app(root, [REPO], TOKEN).test_client()
    assert client.get("/").status_code == 302
    repos = client.get("/api/repos", headers={"Authorization": f"Bearer {TOKEN}"}).get_json()["repos"]
    assert repos == [{"repo": REPO, "error": None, "campaigns": [
        {"campaign": "c1", "title": "Move <old>", "phase": "in progress", "done": 0, "total": 2, "left": None}]}]
