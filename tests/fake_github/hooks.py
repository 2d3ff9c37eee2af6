"""Webhook payloads the fake emits as GitHub would: push, pull_request, issue_comment, issues, status, check_run.

Builders are called while the state lock is held; `fake.emit` validates and queues, and delivery happens on a
separate thread, so a bot that calls back into the fake while handling a delivery never deadlocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fake_github import bare, builders, builders_checks
from tests.fake_github.state import CheckRun, Comment, Issue, Pull, Repo, Status

if TYPE_CHECKING:
    from tests.fake_github.server import FakeGitHub

ZERO = "0" * 40


def _common(fake: FakeGitHub, repo: Repo, login: str) -> dict[str, Any]:
    return {"repository": builders.repository(fake.api_url, repo, permission=None),
            "sender": builders.user(fake.api_url, login),
            "installation": {"id": repo.installation_id, "node_id": builders.node_id("MDIz", repo.installation_id)}}


def _push_commit(fake: FakeGitHub, repo: Repo, record: bare.CommitRecord) -> dict[str, Any]:
    parent = record.parents[0] if record.parents else None
    changes = bare.changed_paths(repo.bare, parent, record.sha) if parent else {}
    person = {"name": record.author_name, "email": record.author_email}
    return {"id": record.sha, "tree_id": record.tree, "distinct": True, "message": record.message,
            "timestamp": record.date, "url": f"{fake.api_url}/web/{repo.full_name}/commit/{record.sha}",
            "author": person, "committer": person,
            "added": [p for p, s in changes.items() if s == "added"],
            "removed": [p for p, s in changes.items() if s == "removed"],
            "modified": [p for p, s in changes.items() if s == "modified"]}


def push(fake: FakeGitHub, repo: Repo, ref: str, before: str | None, after: str | None, login: str) -> None:
    """`push` for a ref moved from `before` to `after` (None = created / deleted)."""
    if not fake.wants_webhooks():
        return
    commits: list[bare.CommitRecord] = []
    if after:
        exclude = before or bare.rev_parse(repo.bare, f"refs/heads/{repo.default_branch}")
        commits = bare.commits_between(repo.bare, exclude, after) if exclude and exclude != after else []
        if not commits and before is None:
            commits = [bare.commit(repo.bare, after)]
    forced = bool(before and after and bare.merge_base(repo.bare, before, after) != before)
    shaped = [_push_commit(fake, repo, c) for c in commits[-20:]]
    payload = {
        "ref": ref, "before": before or ZERO, "after": after or ZERO, "created": before is None,
        "deleted": after is None, "forced": forced, "base_ref": None,
        "compare": f"{fake.api_url}/web/{repo.full_name}/compare/{(before or ZERO)[:12]}...{(after or ZERO)[:12]}",
        "commits": shaped, "head_commit": shaped[-1] if shaped else None,
        "pusher": {"name": login, "email": f"{login}@users.noreply.github.com"}, **_common(fake, repo, login),
    }
    payload["repository"].update(created_at=_epoch(repo.created_at), pushed_at=_epoch(repo.created_at),
                                 stargazers=0, master_branch=repo.default_branch)
    fake.emit("push", payload)


def _epoch(stamp: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def pull_request(fake: FakeGitHub, repo: Repo, pull: Pull, action: str, login: str, label: str | None = None,
                 changes: dict[str, Any] | None = None) -> None:
    if not fake.wants_webhooks():
        return
    from tests.fake_github.routes_pulls import pull_body

    payload: dict[str, Any] = {"action": action, "number": pull.number,
                               "pull_request": pull_body(fake, repo, pull), **_common(fake, repo, login)}
    if label is not None:
        payload["label"] = builders.label(fake.api_url, repo, label)
    if changes is not None:
        payload["changes"] = changes
    fake.emit("pull_request", payload)


def synchronize(fake: FakeGitHub, repo: Repo, before: str, after: str, branch: str, login: str) -> None:
    """`pull_request.synchronize` for every open PR whose head branch moved."""
    if not fake.wants_webhooks():
        return
    from tests.fake_github.routes_pulls import pull_body

    for pull in [p for p in repo.pulls.values() if p.state == "open" and p.head == branch]:
        pull.head_sha = after
        fake.emit("pull_request", {"action": "synchronize", "number": pull.number, "before": before, "after": after,
                                   "pull_request": pull_body(fake, repo, pull), **_common(fake, repo, login)})


def issue_comment(fake: FakeGitHub, repo: Repo, pull: Pull, item: Comment, action: str, login: str) -> None:
    if not fake.wants_webhooks():
        return
    count = sum(c.number == pull.number for c in repo.comments.values())
    payload = {"action": action, "issue": builders.issue(fake.api_url, repo, pull, count),
               "comment": builders.comment(fake.api_url, repo, item), **_common(fake, repo, login)}
    if action == "edited":
        payload["changes"] = {}
    fake.emit("issue_comment", payload)


def plain_issue_comment(fake: FakeGitHub, repo: Repo, item: Issue, comment: Comment, action: str,
                        login: str) -> None:
    """`issue_comment` on a plain issue (the dashboard): its `issue` has no `pull_request` key."""
    if not fake.wants_webhooks():
        return
    from tests.fake_github.routes_issue_list import issue_body

    payload = {"action": action, "issue": issue_body(fake.api_url, repo, item),
               "comment": builders.comment(fake.api_url, repo, comment), **_common(fake, repo, login)}
    if action == "edited":
        payload["changes"] = {}
    fake.emit("issue_comment", payload)


def issues_edited(fake: FakeGitHub, repo: Repo, item: Issue, changes: dict[str, Any], login: str) -> None:
    """`issues.edited` with `changes` ({"body": {"from": old}}, {"title": {"from": old}}) as GitHub sends it."""
    if not fake.wants_webhooks() or not changes:
        return
    from tests.fake_github.routes_issue_list import issue_body

    fake.emit("issues", {"action": "edited", "issue": issue_body(fake.api_url, repo, item), "changes": changes,
                         **_common(fake, repo, login)})


def status(fake: FakeGitHub, repo: Repo, item: Status, login: str) -> None:
    if not fake.wants_webhooks():
        return
    from tests.fake_github import builders_git

    record = bare.commit(repo.bare, item.sha)
    branches = [{"name": ref.removeprefix("refs/heads/"), "protected": False,
                 "commit": {"sha": sha, "url": f"{fake.api_url}/repos/{repo.full_name}/commits/{sha}"}}
                for ref, sha in bare.refs(repo.bare).items() if sha == item.sha and ref.startswith("refs/heads/")]
    fake.emit("status", {
        "id": item.id, "sha": item.sha, "name": repo.full_name, "target_url": item.target_url,
        "context": item.context, "description": item.description, "state": item.state,
        "commit": builders_git.commit(fake.api_url, repo, record), "branches": branches,
        "created_at": item.created_at, "updated_at": item.created_at, **_common(fake, repo, login),
    })


def check_run(fake: FakeGitHub, repo: Repo, run: CheckRun, login: str) -> None:
    if not fake.wants_webhooks():
        return
    body = builders_checks.check_run(fake.api_url, repo, run, fake.app_id)
    body["check_suite"] = _simple_suite(fake, repo, run)
    fake.emit("check_run", {"action": "completed", "check_run": body, **_common(fake, repo, login)})


def _simple_suite(fake: FakeGitHub, repo: Repo, run: CheckRun) -> dict[str, Any]:
    heads = [ref.removeprefix("refs/heads/") for ref, sha in bare.refs(repo.bare).items() if sha == run.head_sha]
    return {"id": run.suite_id, "node_id": builders.node_id("CS", run.suite_id), "head_branch": heads[0] if heads else None,
            "head_sha": run.head_sha, "status": run.status, "conclusion": run.conclusion,
            "url": f"{fake.api_url}/repos/{repo.full_name}/check-suites/{run.suite_id}", "before": None,
            "after": run.head_sha, "pull_requests": [], "app": builders_checks.app(fake.api_url, fake.app_id),
            "created_at": run.started_at, "updated_at": run.completed_at or run.started_at}
