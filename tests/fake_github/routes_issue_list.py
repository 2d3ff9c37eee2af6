"""REST handlers for plain issues: list (PRs included, as GitHub does), open, read and edit one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_github import builders, hooks, routes_issues
from tests.fake_github.routes_repos import repo_of
from tests.fake_github.state import Issue, Repo, now
from tests.fake_github.wire import ApiError, Listing, Reply, Request

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub

_STATES = ("open", "closed")


def issue_body(base: str, repo: Repo, item: Issue) -> dict[str, Any]:
    """The `issue` shape of a plain issue: no `pull_request` key."""
    url = f"{base}/repos/{repo.full_name}/issues/{item.number}"
    return {
        "id": item.id, "node_id": builders.node_id("I", item.id), "url": url,
        "repository_url": f"{base}/repos/{repo.full_name}", "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments", "events_url": f"{url}/events",
        "html_url": f"{base}/web/{repo.full_name}/issues/{item.number}", "number": item.number,
        "state": item.state, "state_reason": "completed" if item.state == "closed" else None,
        "title": item.title, "body": item.body, "user": builders.user(base, item.user),
        "labels": [builders.label(base, repo, name) for name in item.labels], "assignee": None, "assignees": [],
        "milestone": None, "locked": False, "active_lock_reason": None, "comments": 0,
        "closed_at": item.closed_at, "created_at": item.created_at, "updated_at": item.updated_at,
        "author_association": "NONE" if item.user.endswith("[bot]") else "MEMBER", "closed_by": None,
        "reactions": {"url": f"{url}/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
                      "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0},
    }


def list_issues(fake: FakeGitHub, req: Request) -> Listing:
    """Newest first; `labels` is a comma list that must all match; `state` open (default), closed or all."""
    repo = repo_of(fake, req)
    state = req.query.get("state", "open")
    wanted = [name for name in req.query.get("labels", "").split(",") if name]
    rows: list[tuple[int, str, list[str], dict[str, Any]]] = []
    for item in repo.issues.values():
        rows.append((item.number, item.state, item.labels, issue_body(fake.api_url, repo, item)))
    for pull in repo.pulls.values():
        count = sum(c.number == pull.number for c in repo.comments.values())
        rows.append((pull.number, pull.state, pull.labels, builders.issue(fake.api_url, repo, pull, count)))
    kept = [row for row in rows if state in ("all", row[1]) and all(name in row[2] for name in wanted)]
    return Listing([row[3] for row in sorted(kept, key=lambda row: row[0], reverse=True)])


def create_issue(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    body = req.body or {}
    if not body.get("title"):
        raise ApiError(422, "Validation Failed", [{"resource": "Issue", "field": "title", "code": "missing_field"}])
    labels = [x if isinstance(x, str) else x.get("name", "") for x in body.get("labels") or []]
    number = max([0, *repo.pulls, *repo.issues]) + 1
    item = Issue(number, fake.next_id(), str(body["title"]), body.get("body") or "", req.login, now(), now(),
                 labels=list(dict.fromkeys(labels)))
    repo.issues[number] = item
    return Reply(201, issue_body(fake.api_url, repo, item))


def get_issue(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    item = repo.issues.get(req.number("issue_number"))
    if item is None:
        return routes_issues.get_issue(fake, req)
    return Reply(200, issue_body(fake.api_url, repo, item))


def edit_issue(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    item = repo.issues.get(req.number("issue_number"))
    if item is None:
        return routes_issues.edit_issue(fake, req)
    body = dict(req.body or {})
    if "state" in body and body["state"] not in _STATES:
        raise ApiError(422, "Validation Failed", [{"resource": "Issue", "field": "state", "code": "invalid"}])
    if "labels" in body:
        item.labels = [x if isinstance(x, str) else x.get("name", "") for x in body["labels"]]
    before = {"title": item.title, "body": item.body}
    item.title = body.get("title") or item.title
    item.body = body["body"] if "body" in body and body["body"] is not None else item.body
    changes = {key: {"from": old} for key, old in before.items() if getattr(item, key) != old}
    if body.get("state") and body["state"] != item.state:
        item.state = body["state"]
        item.closed_at = now() if item.state == "closed" else None
    item.updated_at = now()
    hooks.issues_edited(fake, repo, item, changes, req.login)
    return Reply(200, issue_body(fake.api_url, repo, item))


#: listed before routes_issues.ROUTES: the first route of a template wins, and these hand PR numbers on
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/repos/{owner}/{repo}/issues", list_issues),
    ("POST", "/repos/{owner}/{repo}/issues", create_issue),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", get_issue),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", edit_issue),
]
