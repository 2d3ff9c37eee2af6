"""Issue 14's finding: once GitHub says a credential is rate limited, no task of the process spends another
request on it before the reset (the reliability run saw 20 requests from one worker inside one window)."""

from __future__ import annotations

import time

import pytest

from bot.forge.base import Retryable
from bot.forge.github import GitHubForge
from bot.settings import Settings
from tests.fake_github.fixtures import PAT
from tests.fake_github.server import FakeGitHub

REPO = "octo/app"
GET_REPO = "GET /repos/{owner}/{repo}"


def _forge(fake: FakeGitHub) -> GitHubForge:
    return GitHubForge(Settings(token=PAT, api_url=fake.api_url), None)


@pytest.mark.parametrize("kind", ["primary", "secondary"])
def test_a_rate_limit_stops_every_forge_of_the_credential_until_it_resets(fake_github: FakeGitHub, kind: str) -> None:
    fake_github.create_repo(REPO)
    fake_github.rate_limit(GET_REPO, kind=kind, retry_after=2)
    first, second = _forge(fake_github), _forge(fake_github)  # two tasks of one worker process
    with pytest.raises(Retryable):
        first.repo(REPO)
    asked = len(fake_github.requests)
    with pytest.raises(Retryable) as caught:
        second.list_pulls(REPO, "migration-bot/")
    assert len(fake_github.requests) == asked  # refused in the process: GitHub was not asked again
    assert 0 < caught.value.after_s <= 3
    time.sleep(caught.value.after_s + 0.1)
    assert second.repo(REPO).default_branch == "main"


def test_other_failures_do_not_close_the_gate(fake_github: FakeGitHub) -> None:
    fake_github.create_repo(REPO)
    fake_github.fail(GET_REPO, status=502)
    forge = _forge(fake_github)
    with pytest.raises(Retryable):
        forge.repo(REPO)
    assert forge.repo(REPO).default_branch == "main"
