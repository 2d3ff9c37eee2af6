"""REST handlers for the issue side of pull requests: the issue, labels, comments and reactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_github import builders, hooks
from tests.fake_github.routes_pulls import apply_edit, pull_of
from tests.fake_github.routes_repos import repo_of
from tests.fake_github.state import Comment, Repo, now
from tests.fake_github.wire import ApiError, Listing, Reply, Request

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub

_REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def _issue(fake: FakeGitHub, repo: Repo, number: int) -> dict[str, Any]:
    pull = pull_of(fake, repo, number)
    count = sum(c.number == number for c in repo.comments.values())
    return builders.issue(fake.api_url, repo, pull, count)


def get_issue(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    return Reply(200, _issue(fake, repo, req.number("issue_number")))


def edit_issue(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("issue_number"))
    body = dict(req.body or {})
    if "labels" in body:
        names = [x if isinstance(x, str) else x.get("name", "") for x in body.pop("labels")]
        _set_labels(fake, repo, pull.number, names, req.login)
    apply_edit(fake, repo, pull, body, req.login)
    return Reply(200, _issue(fake, repo, pull.number))


def _set_labels(fake: FakeGitHub, repo: Repo, number: int, names: list[str], login: str) -> None:
    pull = repo.pulls[number]
    for name in [n for n in names if n not in pull.labels]:
        pull.labels.append(name)
        hooks.pull_request(fake, repo, pull, "labeled", login, label=name)
    for name in [n for n in pull.labels if n not in names]:
        pull.labels.remove(name)
        hooks.pull_request(fake, repo, pull, "unlabeled", login, label=name)


def list_labels(fake: FakeGitHub, req: Request) -> Listing:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("issue_number"))
    return Listing([builders.label(fake.api_url, repo, name) for name in pull.labels])


def add_labels(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("issue_number"))
    raw = req.body.get("labels", []) if isinstance(req.body, dict) else (req.body or [])
    names = [x if isinstance(x, str) else x.get("name", "") for x in raw]
    _set_labels(fake, repo, pull.number, pull.labels + [n for n in names if n not in pull.labels], req.login)
    return Reply(200, [builders.label(fake.api_url, repo, name) for name in pull.labels])


def remove_label(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    pull = pull_of(fake, repo, req.number("issue_number"))
    if req.params["name"] not in pull.labels:
        raise ApiError(404, "Label does not exist")
    _set_labels(fake, repo, pull.number, [n for n in pull.labels if n != req.params["name"]], req.login)
    return Reply(200, [builders.label(fake.api_url, repo, name) for name in pull.labels])


def _commented(fake: FakeGitHub, repo: Repo, number: int) -> int:
    """The number of the PR or plain issue comments go on (404 for neither)."""
    return number if number in repo.issues else pull_of(fake, repo, number).number


def list_comments(fake: FakeGitHub, req: Request) -> Listing:
    repo = repo_of(fake, req)
    number = _commented(fake, repo, req.number("issue_number"))
    items = sorted((c for c in repo.comments.values() if c.number == number), key=lambda c: c.id)
    return Listing([builders.comment(fake.api_url, repo, c) for c in items])


def create_comment(fake: FakeGitHub, req: Request) -> Reply:
    repo = repo_of(fake, req)
    number = _commented(fake, repo, req.number("issue_number"))
    text = (req.body or {}).get("body")
    if not text:
        raise ApiError(422, "Validation Failed", [{"resource": "IssueComment", "field": "body", "code": "missing_field"}])
    item = Comment(fake.next_id(), number, text, req.login, now(), now())
    repo.comments[item.id] = item
    if number in repo.issues:  # literal actions: trim_openapi reads them from the calls
        hooks.plain_issue_comment(fake, repo, repo.issues[number], item, "created", req.login)
    else:
        hooks.issue_comment(fake, repo, repo.pulls[number], item, "created", req.login)
    return Reply(201, builders.comment(fake.api_url, repo, item))


def _comment_of(fake: FakeGitHub, req: Request) -> tuple[Repo, Comment]:
    repo = repo_of(fake, req)
    item = repo.comments.get(req.number("comment_id"))
    if item is None:
        raise ApiError(404, "Not Found")
    return repo, item


def edit_comment(fake: FakeGitHub, req: Request) -> Reply:
    repo, item = _comment_of(fake, req)
    text = (req.body or {}).get("body")
    if not text:
        raise ApiError(422, "Validation Failed", [{"resource": "IssueComment", "field": "body", "code": "missing_field"}])
    item.body, item.updated_at = text, now()
    if item.number in repo.issues:
        hooks.plain_issue_comment(fake, repo, repo.issues[item.number], item, "edited", req.login)
    else:
        hooks.issue_comment(fake, repo, repo.pulls[item.number], item, "edited", req.login)
    return Reply(200, builders.comment(fake.api_url, repo, item))


def delete_comment(fake: FakeGitHub, req: Request) -> Reply:
    repo, item = _comment_of(fake, req)
    del repo.comments[item.id]
    return Reply(204)


def add_reaction(fake: FakeGitHub, req: Request) -> Reply:
    repo, item = _comment_of(fake, req)
    content = (req.body or {}).get("content")
    if content not in _REACTIONS:
        raise ApiError(422, "Validation Failed", [{"resource": "Reaction", "field": "content", "code": "invalid"}])
    created = (req.login, content) not in item.reactions
    if created:
        item.reactions.append((req.login, content))
    ident = item.id * 10 + _REACTIONS.index(content)
    return Reply(201 if created else 200, builders.reaction(fake.api_url, ident, req.login, content, item.created_at))


def list_reactions(fake: FakeGitHub, req: Request) -> Listing:
    repo, item = _comment_of(fake, req)
    wanted = req.query.get("content")
    return Listing([builders.reaction(fake.api_url, item.id * 10 + _REACTIONS.index(content), login, content,
                                      item.created_at)
                    for login, content in item.reactions if wanted in (None, content)])


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", get_issue),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", edit_issue),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels", list_labels),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", add_labels),
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", remove_label),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", list_comments),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", create_comment),
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", edit_comment),
    ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", delete_comment),
    ("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", add_reaction),
    ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", list_reactions),
]
