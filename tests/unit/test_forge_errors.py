"""GitHub failures become Retryable/Permanent: the header rules as a table, and the real path over HTTP."""

from __future__ import annotations

import socket

import pytest

from bot import gitops, markers
from bot.forge.base import Permanent, Retryable
from bot.forge.errors import DEFAULT_RATE_LIMIT_WAIT_S, rate_limit_wait
from bot.forge.github import GitHubForge
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.fixtures import APP_ID, PAT, AppKey
from tests.fake_github.server import FakeGitHub

REPO = "acme/app"
NOW = 1_700_000_000.0


@pytest.mark.parametrize(("status", "headers", "expected"), [
    (403, {"Retry-After": "7"}, 7.0),
    (429, {"retry-after": "3"}, 3.0),
    (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 42)}, 42.0),
    (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) - 5)}, 1.0),
    (403, {"X-RateLimit-Remaining": "0"}, DEFAULT_RATE_LIMIT_WAIT_S),
    (429, {}, DEFAULT_RATE_LIMIT_WAIT_S),
    (403, {"X-RateLimit-Remaining": "12"}, None),  # permission denied, not a rate limit
    (404, {"Retry-After": "7"}, None),
])
def test_rate_limit_wait(status: int, headers: dict[str, str], expected: float | None) -> None:
    assert rate_limit_wait(status, headers, now=NOW) == expected


@pytest.fixture()
def forge(fake_github: FakeGitHub) -> GitHubForge:
    fake_github.create_repo(REPO, files={"a.py": "x = 1\n"})
    return GitHubForge(Settings(token=PAT, api_url=fake_github.api_url), None)


def test_502_is_retryable(fake_github: FakeGitHub, forge: GitHubForge) -> None:
    fake_github.faults.fail("GET /repos/{owner}/{repo}", status=502)
    with pytest.raises(Retryable) as caught:
        forge.repo(REPO)
    assert "502" in str(caught.value) and PAT not in str(caught.value)
    assert forge.repo(REPO).default_branch == "main"  # the next try goes through


def test_secondary_rate_limit_waits_for_retry_after(fake_github: FakeGitHub, forge: GitHubForge) -> None:
    fake_github.faults.rate_limit("GET /repos/{owner}/{repo}", kind="secondary", retry_after=7)
    with pytest.raises(Retryable) as caught:
        forge.repo(REPO)
    assert caught.value.after_s == 7.0


def test_primary_rate_limit_waits_for_the_reset(fake_github: FakeGitHub, forge: GitHubForge) -> None:
    fake_github.faults.rate_limit("GET /repos/{owner}/{repo}", kind="primary", retry_after=30)
    with pytest.raises(Retryable) as caught:
        forge.repo(REPO)
    assert 25.0 <= caught.value.after_s <= 31.0


def test_404_is_permanent(forge: GitHubForge) -> None:
    with pytest.raises(Permanent) as caught:
        forge.get_pull(REPO, 99)
    assert "404" in str(caught.value) and PAT not in str(caught.value)


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens
    forge = GitHubForge(Settings(token=PAT, api_url=f"http://127.0.0.1:{port}"), None)
    with pytest.raises(Retryable):
        forge.repo(REPO)


def test_writes_are_find_or_create(fake_github: FakeGitHub, forge: GitHubForge) -> None:
    """Labels are added once, the marked comment is edited, find_pull needs the marker."""
    branch = markers.branch_name("c1", "unit")
    sha = fake_github.branch_sha(REPO, "main")
    assert sha is not None
    bare.update_ref(fake_github.repo(REPO).bare, f"refs/heads/{branch}", sha)
    fake_github.commit_file(REPO, branch, "c.py", "z = 1\n", author=("Bot", gitops.BOT_EMAIL))
    body = "s\n\n" + markers.render_marker(markers.PullMarker("c1", "unit", sha))
    opened = forge.open_pull(REPO, head=branch, base="main", title="t", body=body, draft=True)
    assert opened.draft and forge.find_pull(REPO, branch) == opened
    assert forge.list_pulls(REPO, markers.campaign_branch_prefix("c1")) == [opened]
    forge.add_labels(REPO, opened.number, ["migration-bot", "migration:c1"])
    forge.add_labels(REPO, opened.number, ["migration-bot", "migration:c1"])
    assert fake_github.count("POST /repos/{owner}/{repo}/issues/{issue_number}/labels") == 1
    assert set(forge.get_pull(REPO, opened.number).labels) == {"migration-bot", "migration:c1"}
    marker = markers.comment_marker("failure")
    forge.upsert_comment(REPO, opened.number, marker, "first")
    forge.upsert_comment(REPO, opened.number, marker, "second")
    [comment] = fake_github.comments(REPO, opened.number)
    assert comment.body.startswith("second")
    assert [c.author_email for c in forge.pull_commits(REPO, opened.number)] == [gitops.BOT_EMAIL]
    with pytest.raises(Permanent):
        forge.merge_pull(REPO, opened.number, sha="0" * 40, method="squash", title="m")
    assert not fake_github.pull(REPO, opened.number).merged


def test_app_installation_token(fake_github: FakeGitHub, github_app_key: AppKey) -> None:
    fake_github.create_repo(REPO)
    settings = Settings(app_id=APP_ID, private_key=github_app_key.private_pem, api_url=fake_github.api_url)
    forge = GitHubForge(settings, fake_github.repo(REPO).installation_id)
    token = forge.git_token(REPO)
    assert token and token.startswith("ghs_")
    assert forge.git_token(REPO) == token  # cached until shortly before it expires
    assert forge.repo(REPO).full_name == REPO
