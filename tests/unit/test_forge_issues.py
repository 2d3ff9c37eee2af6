"""GitHubForge's dashboard-issue methods over the fake GitHub: find by marker (PRs skipped), open, edit."""

from __future__ import annotations

from bot import markers
from tests.fake_github.server import FakeGitHub
from tests.rollout_world import REPO, make_world

MARKER = markers.dashboard_marker("mig")
LIST = "GET /repos/{owner}/{repo}/issues"


def test_find_open_and_edit_the_dashboard_issue(fake_github: FakeGitHub) -> None:
    forge = make_world(fake_github).forge
    assert forge.find_issue(REPO, MARKER) is None
    opened = forge.open_issue(REPO, "Dashboard", f"table\n\n{MARKER}", [markers.LABEL_BOT])
    assert (opened.title, opened.state, opened.labels) == ("Dashboard", "open", (markers.LABEL_BOT,))
    assert forge.find_issue(REPO, MARKER) == opened
    edited = forge.edit_issue(REPO, opened.number, body=f"new table\n\n{MARKER}", state="closed")
    assert edited.state == "closed" and edited.body.startswith("new table")
    [stored] = fake_github.issues(REPO)
    assert (stored.state, stored.title, stored.body) == ("closed", "Dashboard", edited.body)
    assert forge.find_issue(REPO, MARKER) == edited  # closed issues are found too


def test_a_pull_request_carrying_the_marker_is_not_the_dashboard(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    world.forge.edit_pull(REPO, pull.number, body=f"pasted\n\n{MARKER}")
    assert world.forge.find_issue(REPO, MARKER) is None
    other = world.forge.open_issue(REPO, "Other", "no marker", [markers.LABEL_BOT])
    assert world.forge.find_issue(REPO, MARKER) is None and other.number != pull.number


def test_an_unchanged_issue_list_is_a_304(fake_github: FakeGitHub) -> None:
    forge = make_world(fake_github).forge
    forge.open_issue(REPO, "Dashboard", MARKER, [markers.LABEL_BOT])
    first = forge.find_issue(REPO, MARKER)
    start = len(fake_github.requests)
    assert forge.find_issue(REPO, MARKER) == first
    assert [r.status for r in fake_github.requests[start:] if r.operation == LIST] == [304]
