"""The fake GitHub itself, driven through PyGithub and real git: state, merges, smart HTTP, faults, checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import flask
import pytest
import requests
from github import Auth, Github, GithubException, GithubIntegration, RateLimitExceededException
from github.Repository import Repository

from tests.fake_github import trim_openapi
from tests.fake_github.deliver import deliver, signature
from tests.fake_github.fixtures import *  # noqa: F403 - the fixtures under test
from tests.fake_github.fixtures import APP_ID, NO_THROTTLE, PAT, AppKey
from tests.fake_github.openapi_check import VENDORED_DIR, RestSchemas, WebhookSchemas
from tests.fake_github.server import ROUTES, FakeGitHub
from tests.payloads.build import PAYLOAD_DIR, build, load

REPO = "octo-org/widgets"
FILES = {"README.md": "# widgets\n", "src/app.py": "import old\n", "src/util.py": "X = 1\n"}


@pytest.fixture
def repo(fake_github: FakeGitHub, github_client: Github) -> Repository:
    fake_github.create_repo(REPO, files=FILES)
    return github_client.get_repo(REPO)


def _branch_with_change(fake: FakeGitHub, repo: Repository, branch: str, path: str, text: str) -> str:
    repo.create_git_ref(f"refs/heads/{branch}", fake.branch_sha(REPO, "main") or "")
    return fake.commit_file(REPO, branch, path, text, message=f"change {path}")


def _git(*args: str, cwd: Path | None = None, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd or Path.cwd()), "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env |= {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_pull_request_lifecycle_is_visible_in_state(fake_github: FakeGitHub, repo: Repository) -> None:
    head = _branch_with_change(fake_github, repo, "migration-bot/demo/imports", "src/app.py", "import new\n")
    pr = repo.create_pull(title="Migrate imports", body="summary", head="migration-bot/demo/imports", base="main")
    assert [p.number for p in repo.get_pulls(state="all", head=f"octo-org:{pr.head.ref}")] == [pr.number]
    assert list(repo.get_pulls(state="open", head="octo-org:other")) == []
    pr.add_to_labels("migration-bot", "migration:demo")
    pr.remove_from_labels("migration-bot")
    comment = pr.create_issue_comment("first")
    comment.edit("edited")
    comment.create_reaction("eyes")
    pr.edit(title="Migrate imports (2)")

    stored = fake_github.pull(REPO, pr.number)
    assert (stored.title, stored.head_sha, stored.state) == ("Migrate imports (2)", head, "open")
    assert fake_github.labels(REPO, pr.number) == ["migration:demo"]
    assert [c.body for c in fake_github.comments(REPO, pr.number)] == ["edited"]
    assert fake_github.count("POST /repos/{owner}/{repo}/pulls") == 1
    with pytest.raises(GithubException) as again:
        repo.create_pull(title="dup", body="", head="migration-bot/demo/imports", base="main")
    assert again.value.status == 422


@pytest.mark.parametrize(("method", "parents"), [("squash", 1), ("merge", 2), ("rebase", 1)])
def test_merge_moves_the_base_branch_for_real(fake_github: FakeGitHub, repo: Repository, tmp_path: Path,
                                              method: str, parents: int) -> None:
    head = _branch_with_change(fake_github, repo, "feature", "src/app.py", "import new\n")
    pr = repo.create_pull(title="Feature", body="", head="feature", base="main")
    with pytest.raises(GithubException) as stale:
        pr.merge(merge_method=method, sha="0" * 40)
    assert stale.value.status == 409

    result = pr.merge(merge_method=method, sha=head)

    main = fake_github.branch_sha(REPO, "main")
    assert result.merged and result.sha == main
    bare = fake_github.repo(REPO).bare
    shown = subprocess.run(["git", "--git-dir", str(bare), "show", "main:src/app.py"], capture_output=True, text=True)
    assert shown.stdout == "import new\n"
    line = subprocess.run(["git", "--git-dir", str(bare), "rev-list", "--parents", "-n1", "main"],
                          capture_output=True, text=True).stdout.split()
    assert len(line) - 1 == parents
    assert fake_github.pull(REPO, pr.number).merged and repo.get_pull(pr.number).merge_commit_sha == main


def test_clone_and_push_over_smart_http_need_the_token_header(fake_github: FakeGitHub, repo: Repository,
                                                             tmp_path: Path) -> None:
    refused = _git("clone", repo.clone_url, str(tmp_path / "anon"), cwd=tmp_path)
    assert refused.returncode != 0
    work = tmp_path / "work"
    assert _git("clone", repo.clone_url, str(work), cwd=tmp_path, token=PAT).returncode == 0
    (work / "src" / "app.py").write_text("import newer\n")
    _git("commit", "-am", "push me", cwd=work)
    unauthenticated = _git("push", "origin", "HEAD:refs/heads/pushed", cwd=work)
    assert unauthenticated.returncode != 0 and fake_github.branch_sha(REPO, "pushed") is None

    pushed = _git("push", "origin", "HEAD:refs/heads/pushed", cwd=work, token=PAT)

    assert pushed.returncode == 0, pushed.stderr
    assert fake_github.branch_sha(REPO, "pushed") == _git("rev-parse", "HEAD", cwd=work).stdout.strip()
    event, payload = fake_github.emitted[-1]
    assert (event, payload["ref"], payload["created"]) == ("push", "refs/heads/pushed", True)
    assert payload["head_commit"]["modified"] == ["src/app.py"]


def test_a_502_once_then_success(fake_github: FakeGitHub, repo: Repository) -> None:
    fake_github.fail("GET /repos/{owner}/{repo}/pulls", status=502, times=1)
    with pytest.raises(GithubException) as failed:
        list(repo.get_pulls())
    assert failed.value.status == 502
    assert list(repo.get_pulls()) == []
    assert fake_github.count("GET /repos/{owner}/{repo}/pulls") == 2


def test_slow_answers_are_slow(fake_github: FakeGitHub, repo: Repository) -> None:
    fake_github.slow("GET /repos/{owner}/{repo}", seconds=0.3, times=1)
    started = time.monotonic()
    repo.update()
    assert time.monotonic() - started >= 0.3


def test_ref_update_emits_push_and_synchronize(fake_github: FakeGitHub, repo: Repository) -> None:
    _branch_with_change(fake_github, repo, "feature", "README.md", "# one\n")
    pr = repo.create_pull(title="x", body="", head="feature", base="main")
    newer = fake_github.commit_file(REPO, "feature", "README.md", "# two\n")
    fake_github.emitted.clear()
    repo.get_git_ref("heads/feature").edit(newer)
    actions = [(event, payload.get("action")) for event, payload in fake_github.emitted]
    assert actions == [("push", None), ("pull_request", "synchronize")]
    assert fake_github.pull(REPO, pr.number).head_sha == newer


@pytest.mark.parametrize("kind", ["secondary", "primary"])
def test_rate_limits_carry_githubs_headers(fake_github: FakeGitHub, repo: Repository, kind: str) -> None:
    fake_github.rate_limit("POST /repos/{owner}/{repo}/pulls", kind=kind, retry_after=7)
    _branch_with_change(fake_github, repo, "feature", "README.md", "# changed\n")
    with pytest.raises(RateLimitExceededException) as limited:
        repo.create_pull(title="x", body="", head="feature", base="main")
    headers = {k.lower(): v for k, v in (limited.value.headers or {}).items()}
    if kind == "secondary":
        assert headers["retry-after"] == "7"
        assert "secondary rate limit" in limited.value.data["message"]
    else:
        assert headers["x-ratelimit-remaining"] == "0" and int(headers["x-ratelimit-reset"]) > 0
    assert repo.create_pull(title="x", body="", head="feature", base="main").number == 1


def test_unknown_endpoint_answers_501_and_is_recorded(fake_github: FakeGitHub, repo: Repository) -> None:
    with pytest.raises(GithubException) as unknown:
        list(repo.get_releases())
    assert unknown.value.status == 501
    assert fake_github.problems() == [f"unknown endpoint: GET /repos/{REPO}/releases"]
    fake_github.unknown.clear()  # recorded as it should be; clear so teardown passes


def test_conditional_get_answers_304(fake_github: FakeGitHub, repo: Repository) -> None:
    url = f"{fake_github.api_url}/repos/{REPO}/pulls"
    auth = {"Authorization": f"token {PAT}"}
    first = requests.get(url, headers=auth, timeout=5)
    again = requests.get(url, headers=auth | {"If-None-Match": first.headers["ETag"]}, timeout=5)
    assert (first.status_code, again.status_code, again.content) == (200, 304, b"")
    assert requests.get(url, timeout=5).status_code == 401
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-github-request-id"} <= {
        k.lower() for k in first.headers}


def test_lists_are_paginated_with_link_headers(fake_github: FakeGitHub, repo: Repository) -> None:
    sha = fake_github.branch_sha(REPO, "main") or ""
    for i in range(35):
        fake_github.add_check_run(REPO, sha, f"check-{i}", "completed", "success")
    runs = list(repo.get_commit(sha).get_check_runs())
    assert len(runs) == 35
    assert fake_github.count("GET /repos/{owner}/{repo}/commits/{ref}/check-runs") == 2


@pytest.mark.parametrize(("body", "wanted"), [
    ([{"id": 1}], "'_links' is a required property"),
    ({"not": "a list"}, "is not of type 'array'"),
])
def test_schema_violations_are_detected(github_openapi: tuple[RestSchemas, WebhookSchemas], body: Any,
                                        wanted: str) -> None:
    rest, _ = github_openapi
    error = rest.check("GET", "/repos/{owner}/{repo}/pulls", "/repos/o/r/pulls", 200, body)
    assert error is not None and wanted in error.message


def test_app_jwt_buys_an_installation_token(fake_github: FakeGitHub, repo: Repository,
                                            github_app_key: AppKey) -> None:
    app_auth = Auth.AppAuth(APP_ID, github_app_key.private_pem)
    integration = GithubIntegration(auth=app_auth, base_url=fake_github.api_url, **NO_THROTTLE)
    installation = integration.get_repo_installation("octo-org", "widgets")
    token = integration.get_access_token(installation.id)
    assert token.token.startswith("ghs_") and token.expires_at is not None
    as_app = Github(base_url=fake_github.api_url, auth=app_auth.get_installation_auth(installation.id), retry=None,
                    **NO_THROTTLE)
    assert as_app.get_repo(REPO).default_branch == "main"
    wrong = Auth.AppAuth(APP_ID + 1, github_app_key.private_pem)
    with pytest.raises(GithubException) as refused:
        GithubIntegration(auth=wrong, base_url=fake_github.api_url, **NO_THROTTLE).get_repo_installation("octo-org", "widgets")
    assert refused.value.status == 401


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks", _Receiver.received
    server.shutdown()
    server.server_close()


def test_pushed_commit_arrives_as_a_signed_webhook(fake_github: FakeGitHub, repo: Repository, tmp_path: Path,
                                                   receiver: tuple[str, list[tuple[dict[str, str], bytes]]]) -> None:
    url, received = receiver
    fake_github.webhook_url, fake_github.webhook_secret = url, "s3cret"
    work = tmp_path / "work"
    _git("clone", repo.clone_url, str(work), cwd=tmp_path, token=PAT)
    (work / "added.py").write_text("A = 1\n")
    _git("add", "added.py", cwd=work)
    _git("commit", "-m", "add a file", cwd=work)
    assert _git("push", "origin", "HEAD:main", cwd=work, token=PAT).returncode == 0

    fake_github.wait_webhooks()

    pushes = [(h, b) for h, b in received if h["x-github-event"] == "push"]
    assert len(pushes) == 1
    headers, body = pushes[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature-256"] == expected and headers["user-agent"].startswith("GitHub-Hookshot/")
    payload = json.loads(body)
    assert payload["after"] == fake_github.branch_sha(REPO, "main")
    assert payload["commits"][0]["added"] == ["added.py"]


def test_deliver_signs_for_a_flask_test_client() -> None:
    app = flask.Flask("receiver")
    seen: list[tuple[str, str, bytes]] = []

    @app.post("/webhooks")
    def receive() -> tuple[str, int]:
        seen.append((flask.request.headers["X-GitHub-Event"], flask.request.headers["X-Hub-Signature-256"],
                     flask.request.get_data()))
        return "", 202

    payload = build("pull_request.closed.merged", {"pull_request.merged": False}, number=7)
    delivery = deliver(app.test_client(), "pull_request", payload, "k")
    event, sig, body = seen[0]
    assert (delivery.status, event, json.loads(body)["number"]) == (202, "pull_request", 7)
    assert sig == signature("k", body) and json.loads(body)["pull_request"]["merged"] is False


@pytest.mark.parametrize("path", sorted(PAYLOAD_DIR.glob("*.json")), ids=lambda p: p.name)
def test_recorded_payloads_match_githubs_webhook_schemas(github_openapi: tuple[RestSchemas, WebhookSchemas],
                                                         path: Path) -> None:
    _, hooks = github_openapi
    event = path.name.split(".")[0]
    assert hooks.check(event, load(path.name)) is None


def _vendored(name: str) -> dict[str, Any]:
    return json.loads((VENDORED_DIR / name).read_text())


def test_the_trimmed_rest_description_holds_exactly_the_routes_the_fake_serves() -> None:
    paths = _vendored(trim_openapi.REST_FILE)["paths"]
    described = {(method.upper(), template) for template, item in paths.items() for method in item
                 if method != "parameters"}
    assert described == {(method, template) for method, template, _ in ROUTES}


def test_every_webhook_the_fake_emits_is_in_the_trimmed_description(fake_github: FakeGitHub,
                                                                   repo: Repository) -> None:
    _branch_with_change(fake_github, repo, "feature", "README.md", "# one\n")
    pr = repo.create_pull(title="x", body="", head="feature", base="main")
    pr.add_to_labels("migration-bot")
    pr.remove_from_labels("migration-bot")
    pr.create_issue_comment("first").edit("edited")
    pr.edit(title="y")
    pr.edit(state="closed")
    pr.edit(state="open")
    head = fake_github.commit_file(REPO, "feature", "README.md", "# two\n")
    repo.get_git_ref("heads/feature").edit(head)
    repo.get_commit(head).create_status("success", context="ci")
    repo.create_check_run(name="ci", head_sha=head, status="completed", conclusion="success")
    pr.merge(merge_method="squash", sha=head)
    issue = repo.create_issue(title="dashboard", body="one", labels=["migration-bot"])
    issue.edit(body="two")
    issue.create_comment("first").edit("edited")

    vendored = WebhookSchemas(VENDORED_DIR / trim_openapi.WEBHOOKS_FILE)
    sent = {(event, payload.get("action")) for event, payload in fake_github.emitted}
    assert sent == trim_openapi.emitted_webhooks()  # the trimmer's reading of hooks.py is what the fake does
    assert {vendored.key(event, payload) for event, payload in fake_github.emitted} <= set(vendored.doc["webhooks"])
    assert [vendored.check(event, payload) for event, payload in fake_github.emitted] == [None] * len(
        fake_github.emitted)


#: the vendored files themselves always; the full upstream ones too when GITHUB_OPENAPI_DIR points at them
_TRIM_SOURCES = {"vendored": VENDORED_DIR} | (
    {"GITHUB_OPENAPI_DIR": Path(os.environ["GITHUB_OPENAPI_DIR"])} if os.environ.get("GITHUB_OPENAPI_DIR") else {})


@pytest.mark.parametrize("source", list(_TRIM_SOURCES.values()), ids=list(_TRIM_SOURCES))
def test_trimming_again_gives_the_vendored_files_byte_for_byte(source: Path) -> None:
    """From the vendored files: they hold exactly what the fake serves, emits and records today (a new route
    or webhook raises KeyError here until they are regenerated). From upstream: they are its trimmed copy."""
    names = (trim_openapi.REST_FILE, trim_openapi.WEBHOOKS_FILE)
    assert trim_openapi.trimmed(source) == {name: (VENDORED_DIR / name).read_text() for name in names}


def test_the_readme_and_licence_match_the_recorded_upstream() -> None:
    readme = (VENDORED_DIR / "README.md").read_text()
    for name in (trim_openapi.REST_FILE, trim_openapi.WEBHOOKS_FILE):
        record = _vendored(name)["info"]["x-trimmed-from"]
        assert (record["file"], record["version"]) == (name, _vendored(name)["info"]["version"])
        assert f"`{record['package']}` {record['version']} | `{record['sha256']}`" in readme
        assert f"{record['bytes']:,} B" in readme
        assert _vendored(name)["info"]["license"]["name"] == "MIT"
    assert (VENDORED_DIR / "LICENSE").read_text().startswith("MIT License Copyright (c) 2020 Octokit contributors")


def test_the_trimmed_webhooks_still_catch_a_wrong_payload() -> None:
    vendored = WebhookSchemas(VENDORED_DIR / trim_openapi.WEBHOOKS_FILE)
    error = vendored.check("pull_request", build("pull_request.closed.merged", {"pull_request.number": "seven"}))
    assert error is not None and "is not of type 'integer'" in error.message
