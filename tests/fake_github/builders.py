"""JSON bodies for users, repositories, pull requests, issues, labels and comments, with every required field.

URLs point back at the fake (PyGithub follows `url` fields and refuses foreign hosts); web URLs live under /web/.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.fake_github.state import Comment, Pull, Repo

_REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}", "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}", "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors", "deployments_url": "/deployments",
    "downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}", "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}", "languages_url": "/languages", "merges_url": "/merges",
    "milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}", "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}", "subscribers_url": "/subscribers", "subscription_url": "/subscription",
    "tags_url": "/tags", "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}
_ROLE = {"admin": "admin", "maintain": "maintain", "write": "write", "triage": "triage", "read": "read"}


def node_id(kind: str, ident: int | str) -> str:
    return kind + "_" + hashlib.sha1(f"{kind}{ident}".encode()).hexdigest()[:16]


def user(base: str, login: str) -> dict[str, Any]:
    url = f"{base}/users/{login}"
    ident = int(hashlib.sha1(login.encode()).hexdigest()[:7], 16)
    return {
        "login": login, "id": ident, "node_id": node_id("U", login), "avatar_url": f"{base}/web/avatars/{login}",
        "gravatar_id": "", "url": url, "html_url": f"{base}/web/{login}", "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}", "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs", "repos_url": f"{url}/repos", "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events", "type": "Bot" if login.endswith("[bot]") else "User",
        "site_admin": False, "user_view_type": "public",
    }


def public_user(base: str, login: str) -> dict[str, Any]:
    """`public-user`: what `GET /user` answers for a token without the `user` scope."""
    return user(base, login) | {
        "name": None, "company": None, "blog": "", "location": None, "email": None, "hireable": None, "bio": None,
        "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}


def repository(base: str, repo: Repo, permission: str | None = "admin", full: bool = False) -> dict[str, Any]:
    """The `repository` / `full-repository` shape; clone_url is the fake's smart-HTTP URL."""
    url = f"{base}/repos/{repo.full_name}"
    body: dict[str, Any] = {
        "id": repo.id, "node_id": node_id("R", repo.id), "name": repo.name, "full_name": repo.full_name,
        "owner": user(base, repo.owner), "private": False, "html_url": f"{base}/web/{repo.full_name}",
        "description": None, "fork": False, "url": url, "homepage": None, "language": "Python",
        "forks_count": 0, "stargazers_count": 0, "watchers_count": 0, "size": 1, "default_branch": repo.default_branch,
        "open_issues_count": sum(p.state == "open" for p in repo.pulls.values()), "is_template": False,
        "topics": [], "has_issues": True, "has_projects": False, "has_wiki": False, "has_pages": False,
        "has_downloads": True, "has_discussions": False, "archived": False, "disabled": False, "visibility": "public",
        "pushed_at": repo.created_at, "created_at": repo.created_at, "updated_at": repo.created_at,
        "allow_rebase_merge": True, "allow_squash_merge": True, "allow_merge_commit": True,
        "delete_branch_on_merge": False, "mirror_url": None, "license": None, "forks": 0, "watchers": 0,
        "open_issues": sum(p.state == "open" for p in repo.pulls.values()),
        "git_url": f"git://fake/{repo.full_name}.git", "ssh_url": f"git@fake:{repo.full_name}.git",
        "svn_url": f"{base}/web/{repo.full_name}", "clone_url": f"{base}/git/{repo.full_name}.git",
    }
    body.update({key: url + suffix for key, suffix in _REPO_URLS.items()})
    if permission is not None:
        body["permissions"] = {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True}
    if full:
        body.update({"network_count": 0, "subscribers_count": 0})
    return body


def label(base: str, repo: Repo, name: str) -> dict[str, Any]:
    ident = repo.label_ids.setdefault(name, 5000 + len(repo.label_ids))
    return {"id": ident, "node_id": node_id("LA", ident), "url": f"{base}/repos/{repo.full_name}/labels/{name}",
            "name": name, "description": "", "color": "ededed", "default": False}


def _ref_side(base: str, repo: Repo, branch: str, sha: str) -> dict[str, Any]:
    return {"label": f"{repo.owner}:{branch}", "ref": branch, "sha": sha, "user": user(base, repo.owner),
            "repo": repository(base, repo)}


def pull(base: str, repo: Repo, pr: Pull, base_sha: str, full: bool = True,
         stats: tuple[int, int, int, int] = (1, 0, 0, 0), head_repo: Repo | None = None) -> dict[str, Any]:
    """`pull-request` (full) or `pull-request-simple`; stats = (commits, additions, deletions, changed_files);
    `head_repo`: the fork the head branch lives in (None: `repo`)."""
    url = f"{base}/repos/{repo.full_name}/pulls/{pr.number}"
    issue_url = f"{base}/repos/{repo.full_name}/issues/{pr.number}"
    html = f"{base}/web/{repo.full_name}/pull/{pr.number}"
    body: dict[str, Any] = {
        "url": url, "id": pr.id, "node_id": node_id("PR", pr.id), "html_url": html, "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch", "issue_url": issue_url, "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments", "review_comment_url": f"{base}/repos/{repo.full_name}/pulls/comments{{/number}}",
        "comments_url": f"{issue_url}/comments", "statuses_url": f"{base}/repos/{repo.full_name}/statuses/{pr.head_sha}",
        "number": pr.number, "state": pr.state, "locked": False, "title": pr.title, "user": user(base, pr.user),
        "body": pr.body, "labels": [label(base, repo, name) for name in pr.labels], "milestone": None,
        "active_lock_reason": None, "created_at": pr.created_at, "updated_at": pr.updated_at,
        "closed_at": pr.closed_at, "merged_at": pr.merged_at, "merge_commit_sha": pr.merge_commit_sha,
        "assignee": user(base, pr.assignees[0]) if pr.assignees else None,
        "assignees": [user(base, a) for a in pr.assignees],
        "requested_reviewers": [user(base, r) for r in pr.requested_reviewers], "requested_teams": [],
        "head": _ref_side(base, head_repo or repo, pr.head, pr.head_sha), "base": _ref_side(base, repo, pr.base, base_sha),
        "_links": {name: {"href": href} for name, href in {
            "self": url, "html": html, "issue": issue_url, "comments": f"{issue_url}/comments",
            "review_comments": f"{url}/comments", "review_comment": f"{base}/repos/{repo.full_name}/pulls/comments{{/number}}",
            "commits": f"{url}/commits", "statuses": f"{base}/repos/{repo.full_name}/statuses/{pr.head_sha}"}.items()},
        "author_association": "NONE" if pr.user.endswith("[bot]") else "MEMBER", "auto_merge": None,
        "draft": pr.draft,
    }
    if full:
        commits, additions, deletions, changed = stats
        body.update({
            "merged": pr.merged, "mergeable": None if pr.state == "closed" else True, "rebaseable": True,
            "mergeable_state": "clean" if pr.state == "open" else "unknown",
            "merged_by": user(base, pr.merged_by) if pr.merged_by else None, "comments": 0,
            "review_comments": 0, "maintainer_can_modify": False, "commits": commits, "additions": additions,
            "deletions": deletions, "changed_files": changed,
        })
    return body


def issue(base: str, repo: Repo, pr: Pull, comments: int) -> dict[str, Any]:
    """The `issue` shape of a pull request (GitHub's PRs are issues too)."""
    url = f"{base}/repos/{repo.full_name}/issues/{pr.number}"
    return {
        "id": pr.id, "node_id": node_id("I", pr.id), "url": url, "repository_url": f"{base}/repos/{repo.full_name}",
        "labels_url": f"{url}/labels{{/name}}", "comments_url": f"{url}/comments", "events_url": f"{url}/events",
        "html_url": f"{base}/web/{repo.full_name}/pull/{pr.number}", "number": pr.number, "state": pr.state,
        "state_reason": None, "title": pr.title, "body": pr.body, "user": user(base, pr.user),
        "labels": [label(base, repo, name) for name in pr.labels],
        "assignee": user(base, pr.assignees[0]) if pr.assignees else None,
        "assignees": [user(base, a) for a in pr.assignees],
        "milestone": None, "locked": False, "active_lock_reason": None, "comments": comments,
        "pull_request": {"url": f"{base}/repos/{repo.full_name}/pulls/{pr.number}",
                         "html_url": f"{base}/web/{repo.full_name}/pull/{pr.number}",
                         "diff_url": f"{base}/web/{repo.full_name}/pull/{pr.number}.diff",
                         "patch_url": f"{base}/web/{repo.full_name}/pull/{pr.number}.patch",
                         "merged_at": pr.merged_at},
        "closed_at": pr.closed_at, "created_at": pr.created_at, "updated_at": pr.updated_at, "draft": pr.draft,
        "author_association": "NONE" if pr.user.endswith("[bot]") else "MEMBER",
        "closed_by": None, "reactions": _reactions(f"{url}/reactions", []),
    }


def comment(base: str, repo: Repo, item: Comment) -> dict[str, Any]:
    url = f"{base}/repos/{repo.full_name}/issues/comments/{item.id}"
    return {
        "id": item.id, "node_id": node_id("IC", item.id), "url": url,
        "html_url": f"{base}/web/{repo.full_name}/pull/{item.number}#issuecomment-{item.id}",
        "issue_url": f"{base}/repos/{repo.full_name}/issues/{item.number}", "body": item.body,
        "user": user(base, item.user), "created_at": item.created_at, "updated_at": item.updated_at,
        "author_association": "NONE" if item.user.endswith("[bot]") else "MEMBER",
        "reactions": _reactions(f"{url}/reactions", item.reactions), "performed_via_github_app": None,
    }


def _reactions(url: str, given: list[tuple[str, str]]) -> dict[str, Any]:
    counts = {key: sum(c == key for _, c in given)
              for key in ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")}
    return {"url": url, "total_count": len(given), **counts}


def reaction(base: str, ident: int, login: str, content: str, created_at: str) -> dict[str, Any]:
    return {"id": ident, "node_id": node_id("REA", ident), "user": user(base, login), "content": content,
            "created_at": created_at}


def permission(base: str, login: str, perm: str) -> dict[str, Any]:
    who = user(base, login) | {"role_name": _ROLE.get(perm, "none"),
                               "permissions": {"admin": perm == "admin", "maintain": perm in ("admin", "maintain"),
                                               "push": perm in ("admin", "maintain", "write"),
                                               "triage": perm != "read", "pull": True}}
    return {"permission": perm, "role_name": _ROLE.get(perm, "none"), "user": who}


def error(message: str, status: int) -> dict[str, Any]:
    return {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)}
