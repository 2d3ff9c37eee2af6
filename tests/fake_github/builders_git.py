"""JSON bodies read from the bare repository: refs, contents, commits, branches and their protection."""

from __future__ import annotations

import base64
from typing import Any

from tests.fake_github.bare import CommitRecord, TreeEntry
from tests.fake_github.builders import node_id
from tests.fake_github.state import Repo


def git_ref(base: str, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    url = f"{base}/repos/{repo.full_name}/git/{ref}"
    return {"ref": ref, "node_id": node_id("REF", ref), "url": url,
            "object": {"type": "commit", "sha": sha, "url": f"{base}/repos/{repo.full_name}/git/commits/{sha}"}}


def _content_common(base: str, repo: Repo, entry: TreeEntry, ref: str, kind: str) -> dict[str, Any]:
    api = f"{base}/repos/{repo.full_name}/contents/{entry.path}?ref={ref}"
    git_url = f"{base}/repos/{repo.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{entry.sha}"
    html = f"{base}/web/{repo.full_name}/blob/{ref}/{entry.path}"
    return {"type": kind, "size": entry.size, "name": entry.path.rsplit("/", 1)[-1], "path": entry.path,
            "sha": entry.sha, "url": api, "git_url": git_url, "html_url": html,
            "download_url": None if kind == "dir" else f"{base}/web/raw/{repo.full_name}/{ref}/{entry.path}",
            "_links": {"self": api, "git": git_url, "html": html}}


def content_file(base: str, repo: Repo, entry: TreeEntry, ref: str, data: bytes) -> dict[str, Any]:
    body = _content_common(base, repo, entry, ref, "file")
    encoded = base64.encodebytes(data).decode()
    body.update({"content": encoded, "encoding": "base64"})
    return body


def content_dir(base: str, repo: Repo, entries: list[TreeEntry], ref: str) -> list[dict[str, Any]]:
    return [_content_common(base, repo, e, ref, "dir" if e.kind == "tree" else "file") for e in entries]


def _git_user(name: str, email: str, date: str) -> dict[str, Any]:
    return {"name": name, "email": email, "date": date}


def commit(base: str, repo: Repo, record: CommitRecord, files: dict[str, str] | None = None) -> dict[str, Any]:
    """The `commit` shape (also each item of GET /pulls/{n}/commits)."""
    url = f"{base}/repos/{repo.full_name}/commits/{record.sha}"
    person = _git_user(record.author_name, record.author_email, record.date)
    body: dict[str, Any] = {
        "url": url, "sha": record.sha, "node_id": node_id("C", record.sha),
        "html_url": f"{base}/web/{repo.full_name}/commit/{record.sha}", "comments_url": f"{url}/comments",
        "commit": {
            "url": f"{base}/repos/{repo.full_name}/git/commits/{record.sha}", "author": person,
            "committer": person, "message": record.message, "comment_count": 0,
            "tree": {"sha": record.tree, "url": f"{base}/repos/{repo.full_name}/git/trees/{record.tree}"},
            "verification": {"verified": False, "reason": "unsigned", "payload": None, "signature": None,
                             "verified_at": None},
        },
        "author": None, "committer": None,
        "parents": [{"sha": p, "url": f"{base}/repos/{repo.full_name}/commits/{p}",
                     "html_url": f"{base}/web/{repo.full_name}/commit/{p}"} for p in record.parents],
    }
    if files is not None:
        body["files"] = [diff_entry(base, repo, record.sha, path, status) for path, status in files.items()]
        body["stats"] = {"total": len(files), "additions": 0, "deletions": 0}
    return body


def diff_entry(base: str, repo: Repo, sha: str, path: str, status: str) -> dict[str, Any]:
    return {"sha": sha, "filename": path, "status": status, "additions": 0, "deletions": 0, "changes": 0,
            "blob_url": f"{base}/web/{repo.full_name}/blob/{sha}/{path}",
            "raw_url": f"{base}/web/raw/{repo.full_name}/{sha}/{path}",
            "contents_url": f"{base}/repos/{repo.full_name}/contents/{path}?ref={sha}"}


def branch(base: str, repo: Repo, name: str, record: CommitRecord) -> dict[str, Any]:
    url = f"{base}/repos/{repo.full_name}/branches/{name}"
    required = repo.required_checks.get(name)
    protection: dict[str, Any] = {"enabled": required is not None}
    if required is not None:
        protection["required_status_checks"] = {"enforcement_level": "non_admins", "contexts": list(required),
                                                "checks": [{"context": c, "app_id": None} for c in required]}
    return {"name": name, "commit": commit(base, repo, record), "protected": required is not None,
            "protection": protection, "protection_url": f"{url}/protection",
            "_links": {"self": url, "html": f"{base}/web/{repo.full_name}/tree/{name}"}}


def status_check_policy(base: str, repo: Repo, branch_name: str, names: list[str]) -> dict[str, Any]:
    url = f"{base}/repos/{repo.full_name}/branches/{branch_name}/protection/required_status_checks"
    return {"url": url, "strict": True, "contexts": list(names), "contexts_url": f"{url}/contexts",
            "checks": [{"context": c, "app_id": None} for c in names]}
