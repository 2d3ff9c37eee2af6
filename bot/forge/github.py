"""The Forge protocol over GitHub's REST API, through PyGithub only; errors become Retryable/Permanent."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from github import Auth, Github
from github.PullRequest import PullRequest
from github.Repository import Repository

from bot import markers
from bot.forge.base import CheckResult, CommitInfo, Permanent, PullInfo, RepoInfo
from bot.forge.errors import translated

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

#: combined-status states folded into check-run conclusions
_STATUS_CONCLUSION = {"success": "success", "failure": "failure", "error": "failure"}


def _pull_info(pr: PullRequest) -> PullInfo:
    """Only fields present in list answers too, so no attribute access triggers a lazy GET."""
    return PullInfo(
        number=pr.number,
        state=pr.state,
        merged=pr.merged_at is not None,
        head_ref=pr.head.ref,
        head_sha=pr.head.sha,
        base_ref=pr.base.ref,
        title=pr.title,
        body=pr.body or "",
        labels=tuple(label.name for label in pr.labels),
        html_url=pr.html_url,
        draft=bool(pr.draft),
        merge_commit_sha=pr.merge_commit_sha,
        author=pr.user.login if pr.user else "",
    )


def _auth(settings: Settings, installation_id: int | None) -> Auth.Auth:
    """An App installation (token fetched and cached until shortly before expiry by PyGithub) or a token."""
    if settings.app_id is not None and settings.private_key and installation_id is not None:
        return Auth.AppAuth(settings.app_id, settings.private_key).get_installation_auth(installation_id)
    if settings.token:
        return Auth.Token(settings.token)
    raise Permanent("no GitHub credentials for this installation (GITHUB_APP_ID + key, or GITHUB_TOKEN)")


class GitHubForge:
    """One installation's view of GitHub. Retries are Celery's job, so PyGithub's own retry is off."""

    def __init__(self, settings: Settings, installation_id: int | None) -> None:
        self._auth = _auth(settings, installation_id)
        # lazy: objects are fetched on first attribute read, so an edit or a label costs one call, not two
        self._gh = Github(base_url=settings.api_url, auth=self._auth, retry=None, lazy=True,
                          seconds_between_requests=None, seconds_between_writes=None)

    def _repo(self, full_name: str) -> Repository:
        return self._gh.get_repo(full_name)

    def _pull(self, full_name: str, number: int) -> PullRequest:
        return self._repo(full_name).get_pull(number)

    def repo(self, full_name: str) -> RepoInfo:
        with translated(f"read repository {full_name}"):
            repo = self._repo(full_name)
            return RepoInfo(repo.full_name, repo.default_branch, repo.clone_url)

    def git_token(self, full_name: str) -> str | None:
        with translated("get an installation token"):
            return self._auth.token  # type: ignore[attr-defined]

    def read_file(self, full_name: str, path: str, ref: str) -> str | None:
        try:
            with translated(f"read {path}"):
                content = self._repo(full_name).get_contents(path, ref=ref)
        except Permanent:
            return None
        if isinstance(content, list):
            return None
        return content.decoded_content.decode("utf-8")

    def list_files(self, full_name: str, directory: str, ref: str) -> list[str]:
        try:
            with translated(f"list {directory}"):
                contents = self._repo(full_name).get_contents(directory.rstrip("/"), ref=ref)
        except Permanent:
            return []
        items = contents if isinstance(contents, list) else [contents]
        return sorted(item.path for item in items if item.type == "file")

    def find_pull(self, full_name: str, head_branch: str) -> PullInfo | None:
        owner = full_name.split("/")[0]
        with translated(f"find the pull request of {head_branch}"):
            pulls = self._repo(full_name).get_pulls(state="all", head=f"{owner}:{head_branch}",
                                                    sort="created", direction="desc")
            for pr in pulls:
                info = _pull_info(pr)
                if info.head_ref == head_branch and markers.parse_marker(info.body) is not None:
                    return info
        return None

    def list_pulls(self, full_name: str, head_prefix: str, state: str = "all") -> list[PullInfo]:
        with translated(f"list pull requests of {head_prefix}"):
            pulls = [_pull_info(pr) for pr in self._repo(full_name).get_pulls(state=state)]
        return [p for p in pulls if p.head_ref.startswith(head_prefix)]

    def get_pull(self, full_name: str, number: int) -> PullInfo:
        with translated(f"read pull request #{number}"):
            return _pull_info(self._pull(full_name, number))

    def open_pull(self, full_name: str, *, head: str, base: str, title: str, body: str, draft: bool) -> PullInfo:
        with translated(f"open a pull request from {head}"):
            pr = self._repo(full_name).create_pull(base=base, head=head, title=title, body=body, draft=draft)
            return _pull_info(pr)

    def edit_pull(self, full_name: str, number: int, *, title: str | None = None, body: str | None = None,
                  state: str | None = None) -> PullInfo:
        changes: dict[str, Any] = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v}
        with translated(f"edit pull request #{number}"):
            pr = self._pull(full_name, number)
            if changes:
                pr.edit(**changes)
            return _pull_info(pr)

    def add_labels(self, full_name: str, number: int, labels: Sequence[str]) -> None:
        with translated(f"label #{number}"):
            issue = self._repo(full_name).get_issue(number)
            present = {label.name for label in issue.labels}
            missing = [label for label in dict.fromkeys(labels) if label not in present]
            if missing:
                issue.add_to_labels(*missing)

    def remove_label(self, full_name: str, number: int, label: str) -> None:
        try:
            with translated(f"unlabel #{number}"):
                self._repo(full_name).get_issue(number).remove_from_labels(label)
        except Permanent:
            log.info("label already absent", extra={"repo": full_name, "pull": number, "label": label})

    def upsert_comment(self, full_name: str, number: int, marker: str, body: str) -> None:
        text = body if marker in body else f"{body}\n\n{marker}"
        with translated(f"comment on #{number}"):
            issue = self._repo(full_name).get_issue(number)
            for comment in issue.get_comments():
                if marker in (comment.body or ""):
                    if comment.body != text:
                        comment.edit(text)
                    return
            issue.create_comment(text)

    def add_reaction(self, full_name: str, comment_id: int, content: str) -> None:
        with translated(f"react to comment {comment_id}"):
            self._repo(full_name).get_issue_comment(comment_id).create_reaction(content)

    def checks(self, full_name: str, sha: str) -> list[CheckResult]:
        with translated(f"read the checks of {sha[:12]}"):
            commit = self._repo(full_name).get_commit(sha)
            found = [CheckResult(run.name, run.status, run.conclusion, run.html_url or "", run.head_sha)
                     for run in commit.get_check_runs()]
            for status in commit.get_combined_status().statuses:
                done = status.state != "pending"
                found.append(CheckResult(status.context, "completed" if done else "in_progress",
                                         _STATUS_CONCLUSION.get(status.state), status.target_url or "", sha))
        return found

    def required_checks(self, full_name: str, branch: str) -> tuple[str, ...] | None:
        try:
            with translated(f"read the protection of {branch}"):
                required = self._repo(full_name).get_branch(branch).get_required_status_checks()
                return tuple(dict.fromkeys([*required.contexts, *(c.context for c in required.checks or [])]))
        except Permanent:
            return None

    def merge_pull(self, full_name: str, number: int, *, sha: str, method: str, title: str) -> str:
        with translated(f"merge #{number}"):
            status = self._pull(full_name, number).merge(commit_title=title, merge_method=method, sha=sha)
        if not status.merged:
            raise Permanent(f"merge #{number}: GitHub refused ({status.message})")
        return status.sha

    def pull_commits(self, full_name: str, number: int) -> list[CommitInfo]:
        with translated(f"list the commits of #{number}"):
            return [CommitInfo(c.sha, c.commit.author.email, c.commit.message)
                    for c in self._pull(full_name, number).get_commits()]

    def permission(self, full_name: str, login: str) -> str:
        try:
            with translated(f"read the permission of {login}"):
                return self._repo(full_name).get_collaborator_permission(login)
        except Permanent:
            return "none"

    def delete_branch(self, full_name: str, branch: str) -> None:
        try:
            with translated(f"delete {branch}"):
                self._repo(full_name).get_git_ref(f"heads/{branch}").delete()
        except Permanent:
            log.info("branch already gone", extra={"repo": full_name, "branch": branch})


__all__ = ["GitHubForge"]
