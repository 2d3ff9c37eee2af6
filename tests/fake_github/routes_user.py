"""REST handlers for the signed-in user (a user token from the OAuth flow): who they are, what they can read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_github import builders
from tests.fake_github.wire import Listing, Reply, Request

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub


def get_user(fake: FakeGitHub, req: Request) -> Reply:
    body: dict[str, Any] = builders.user(fake.api_url, req.login)
    stamp = "2020-01-01T00:00:00Z"
    body |= {"name": req.login, "company": None, "blog": "", "location": None, "email": None, "hireable": None,
             "bio": None, "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
             "created_at": stamp, "updated_at": stamp}
    return Reply(200, body)


def list_user_repos(fake: FakeGitHub, req: Request) -> Listing:
    """Repositories the user owns or was given a permission on (`fake.set_permission`), like GitHub's
    default affiliation (owner, collaborator, organization member); "none" grants nothing."""
    repos = sorted((r for r in fake.repos.values()
                    if r.owner == req.login or r.permissions.get(req.login, "none") != "none"), key=lambda r: r.id)
    return Listing([builders.repository(fake.api_url, repo, permission=repo.permissions.get(req.login, "admin"))
                    for repo in repos])


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/user", get_user),
    ("GET", "/user/repos", list_user_repos),
]
