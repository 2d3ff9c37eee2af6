"""JSON bodies for check runs and suites, commit statuses, the GitHub App, installations and rate limits."""

from __future__ import annotations

import time
from typing import Any

from tests.fake_github.builders import node_id, repository, user
from tests.fake_github.state import CheckRun, Repo, Status

APP_SLUG = "migration-bot"
APP_PERMISSIONS = {"checks": "write", "contents": "write", "issues": "write", "metadata": "read",
                   "pull_requests": "write", "statuses": "read"}
APP_EVENTS = ["check_run", "check_suite", "issue_comment", "pull_request", "push", "status"]
_STAMP = "2024-01-01T00:00:00Z"


def app(base: str, app_id: int, owner: str = "octo-org") -> dict[str, Any]:
    return {"id": app_id, "slug": APP_SLUG, "node_id": node_id("A", app_id), "owner": user(base, owner),
            "name": "Migration Bot", "description": "Carries a migration through small PRs.",
            "external_url": f"{base}/web/apps/{APP_SLUG}", "html_url": f"{base}/web/apps/{APP_SLUG}",
            "created_at": _STAMP, "updated_at": _STAMP, "permissions": dict(APP_PERMISSIONS),
            "events": list(APP_EVENTS)}


def check_run(base: str, repo: Repo, run: CheckRun, app_id: int) -> dict[str, Any]:
    url = f"{base}/repos/{repo.full_name}/check-runs/{run.id}"
    html = f"{base}/web/{repo.full_name}/runs/{run.id}"
    return {"id": run.id, "node_id": node_id("CR", run.id), "head_sha": run.head_sha, "external_id": "",
            "url": url, "html_url": html, "details_url": html, "status": run.status, "conclusion": run.conclusion,
            "started_at": run.started_at, "completed_at": run.completed_at, "name": run.name,
            "output": {"title": run.output.get("title") or run.conclusion or run.status,
                       "summary": run.output.get("summary") or "", "text": run.output.get("text"),
                       "annotations_count": len(run.output.get("annotations") or ()),
                       "annotations_url": f"{url}/annotations"},
            "check_suite": {"id": run.suite_id}, "app": app(base, app_id), "pull_requests": []}


def check_suite(base: str, repo: Repo, runs: list[CheckRun], app_id: int) -> dict[str, Any]:
    """One suite per sha folding its runs (the fake does not model several apps)."""
    first = runs[0]
    done = all(r.status == "completed" for r in runs)
    conclusions = {r.conclusion for r in runs}
    conclusion = None if not done else next((c for c in ("failure", "cancelled", "timed_out",
                                                          "action_required") if c in conclusions), "success")
    return {"id": first.suite_id, "node_id": node_id("CS", first.suite_id), "head_branch": None,
            "head_sha": first.head_sha, "status": "completed" if done else "in_progress",
            "conclusion": conclusion, "url": f"{base}/repos/{repo.full_name}/check-suites/{first.suite_id}",
            "before": None, "after": first.head_sha, "pull_requests": [], "app": app(base, app_id),
            "repository": repository(base, repo, permission=None), "created_at": first.started_at,
            "updated_at": first.completed_at or first.started_at, "head_commit": _head_commit(first.head_sha),
            "latest_check_runs_count": len(runs),
            "check_runs_url": f"{base}/repos/{repo.full_name}/check-suites/{first.suite_id}/check-runs",
            "rerequestable": True, "runs_rerequestable": True}


def _head_commit(sha: str) -> dict[str, Any]:
    person = {"name": "Octo Human", "email": "human@example.com"}
    return {"id": sha, "tree_id": sha, "message": "", "timestamp": _STAMP, "author": person, "committer": person}


def status(base: str, repo: Repo, item: Status) -> dict[str, Any]:
    return {"url": f"{base}/repos/{repo.full_name}/statuses/{item.sha}", "avatar_url": None, "id": item.id,
            "node_id": node_id("SC", item.id), "state": item.state, "description": item.description,
            "target_url": item.target_url, "context": item.context, "created_at": item.created_at,
            "updated_at": item.created_at, "creator": user(base, item.creator)}


def combined_status(base: str, repo: Repo, sha: str, items: list[Status]) -> dict[str, Any]:
    """Latest status per context; state failure > pending > success, like GitHub."""
    latest: dict[str, Status] = {}
    for item in items:
        latest[item.context] = item
    states = {s.state for s in latest.values()}
    state = ("failure" if states & {"failure", "error"} else "pending" if "pending" in states or not states
             else "success")
    simple = [{k: v for k, v in status(base, repo, s).items() if k != "creator"}
              | {"avatar_url": None, "required": None} for s in latest.values()]
    return {"state": state, "sha": sha, "total_count": len(simple), "statuses": simple,
            "repository": repository(base, repo, permission=None),
            "commit_url": f"{base}/repos/{repo.full_name}/commits/{sha}",
            "url": f"{base}/repos/{repo.full_name}/commits/{sha}/status"}


def installation(base: str, installation_id: int, app_id: int, owner: str) -> dict[str, Any]:
    return {"id": installation_id, "account": user(base, owner), "repository_selection": "all",
            "access_tokens_url": f"{base}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{base}/installation/repositories",
            "html_url": f"{base}/web/settings/installations/{installation_id}", "app_id": app_id,
            "app_slug": APP_SLUG, "target_id": 1, "target_type": "Organization",
            "permissions": dict(APP_PERMISSIONS), "events": list(APP_EVENTS), "created_at": _STAMP,
            "updated_at": _STAMP, "single_file_name": None, "suspended_by": None, "suspended_at": None}


def installation_token(token: str, expires_at: str) -> dict[str, Any]:
    return {"token": token, "expires_at": expires_at, "permissions": dict(APP_PERMISSIONS),
            "repository_selection": "all"}


def rate(limit: int, remaining: int, reset: int) -> dict[str, Any]:
    return {"limit": limit, "remaining": remaining, "reset": reset, "used": limit - remaining}


def rate_limit(limit: int, remaining: int) -> dict[str, Any]:
    reset = int(time.time()) + 3600
    core = rate(limit, remaining, reset)
    return {"resources": {"core": core, "search": rate(30, 30, reset), "graphql": rate(5000, 5000, reset)},
            "rate": core}
