"""The Forge protocol over GitHub's REST API, through PyGithub only; errors become Retryable/Permanent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from github import Auth, Github, GithubIntegration
from github.CheckRun import CheckRun
from github.CommitCombinedStatus import CommitCombinedStatus
from github.ContentFile import ContentFile
from github.GithubObject import GithubObject
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.PullRequest import PullRequest
from github.Repository import Repository
from github.RequiredStatusChecks import RequiredStatusChecks

from bot import markers
from bot.forge.base import (
    CheckReport,
    CheckResult,
    CommentInfo,
    CommitInfo,
    IssueInfo,
    Permanent,
    PullInfo,
    RepoInfo,
    bot_pulls,
    is_bot_pull,
)
from bot.forge.errors import rate_gate, translated
from bot.forge.etag import EtagCache, conditional_get, conditional_pages

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

#: combined-status states folded into check-run conclusions
_STATUS_CONCLUSION = {"success": "success", "failure": "failure", "error": "failure"}
#: list pages as large as GitHub allows: fewer requests per list, fewer ETags to keep
PER_PAGE = 100
#: annotations GitHub takes in one check-run request
MAX_ANNOTATIONS = 50
#: characters GitHub takes in a check run's summary
MAX_SUMMARY = 65535

Obj = TypeVar("Obj", bound=GithubObject)
T = TypeVar("T")


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
        head_repo=pr.head.repo.full_name if pr.head.repo else "",
    )


def _comment_info(comment: IssueComment) -> CommentInfo:
    """From a list answer: the reaction roll-up is read from the raw data (PyGithub has no attribute for it)."""
    rollup = comment.raw_data.get("reactions") or {}
    return CommentInfo(comment.id, comment.user.login if comment.user else "", comment.body or "",
                       int(rollup.get("total_count") or 0), comment.updated_at != comment.created_at)


def _issue_info(issue: Issue) -> IssueInfo:
    """Only fields present in list answers too, so no attribute access triggers a lazy GET."""
    return IssueInfo(issue.number, issue.state, issue.title, issue.body or "",
                     tuple(label.name for label in issue.labels), issue.html_url)


def _auth(settings: Settings, installation_id: int | None) -> Auth.Auth:
    """An App installation (token fetched and cached until shortly before expiry by PyGithub) or a token."""
    if settings.app_id is not None and settings.private_key and installation_id is not None:
        return Auth.AppAuth(settings.app_id, settings.private_key).get_installation_auth(installation_id)
    if settings.token:
        return Auth.Token(settings.token)
    raise Permanent("no GitHub credentials for this installation (GITHUB_APP_ID + key, or GITHUB_TOKEN)")


class GitHubForge:
    """One installation's view of GitHub. Retries are Celery's job, so PyGithub's own retry is off.

    The reads the reconcile task repeats every few minutes (repository, bot PRs, campaign files, checks,
    required checks) are conditional: they send the ETag of the last answer, GitHub answers 304 (not
    counted against the rate limit) when nothing changed, and the parsed answer comes from `_etags`.
    """

    def __init__(self, settings: Settings, installation_id: int | None) -> None:
        self._settings = settings
        self._login: str | None = None
        self._auth = _auth(settings, installation_id)
        self._app = not isinstance(self._auth, Auth.Token)  #: check runs need an App installation
        # lazy: objects are fetched on first attribute read, so an edit or a label costs one call, not two
        self._gh = Github(base_url=settings.api_url, auth=self._auth, retry=None, lazy=True,
                          seconds_between_requests=None, seconds_between_writes=None)
        self._etags = EtagCache()
        self._gate = rate_gate(settings.api_url, "token" if installation_id is None or settings.app_id is None
                               else f"installation:{installation_id}")

    def read_generation(self, full_name: str) -> int:
        """Grows whenever a conditional read of `full_name` brings an answer unlike the cached one; equal
        before and after a set of reads means GitHub answered each of them 304 (or with the same content)."""
        return self._etags.generation(full_name)

    def _get(self, full_name: str, url: str, params: Mapping[str, Any] | None, parse: Callable[[Any], T]) -> T:
        return conditional_get(self._gh.requester, self._etags, full_name, url, params, parse)[0]

    def _pages(self, full_name: str, url: str, params: Mapping[str, Any], parse_page: Callable[[Any], list[T]],
               ) -> list[T]:
        return conditional_pages(self._gh.requester, self._etags, full_name, url, {**params, "per_page": PER_PAGE},
                                 parse_page)

    def _object(self, klass: type[Obj], raw: dict[str, Any]) -> Obj:
        """A PyGithub object from an answer already read (never fetches: it is marked complete)."""
        return self._gh.create_from_raw_data(klass, raw)

    def _repo(self, full_name: str) -> Repository:
        return self._gh.get_repo(full_name)

    def _pull(self, full_name: str, number: int) -> PullRequest:
        return self._repo(full_name).get_pull(number)

    def repo(self, full_name: str) -> RepoInfo:
        def parse(raw: dict[str, Any]) -> RepoInfo:
            repo = self._object(Repository, raw)
            return RepoInfo(repo.full_name, repo.default_branch, repo.clone_url)

        with translated(f"read repository {full_name}", self._gate):
            return self._get(full_name, f"/repos/{full_name}", None, parse)

    def git_token(self, full_name: str) -> str | None:
        with translated("get an installation token", self._gate):
            return self._auth.token  # type: ignore[attr-defined]

    def _contents(self, full_name: str, path: str, ref: str, parse: Callable[[Any], T]) -> T:
        url = f"/repos/{full_name}/contents/{quote(path.strip('/'))}"
        return self._get(full_name, url, {"ref": ref}, parse)

    def read_file(self, full_name: str, path: str, ref: str) -> str | None:
        def parse(raw: Any) -> str | None:
            return None if isinstance(raw, list) else self._object(ContentFile, raw).decoded_content.decode("utf-8")

        try:
            with translated(f"read {path}", self._gate):
                return self._contents(full_name, path, ref, parse)
        except Permanent:
            return None

    def list_files(self, full_name: str, directory: str, ref: str) -> list[str]:
        def parse(raw: Any) -> list[str]:
            items = [self._object(ContentFile, item) for item in (raw if isinstance(raw, list) else [raw])]
            return sorted(item.path for item in items if item.type == "file")

        try:
            with translated(f"list {directory}", self._gate):
                return self._contents(full_name, directory, ref, parse)
        except Permanent:
            return []

    def bot_login(self) -> str:
        """`GET /app` with the App's JWT (its slug + "[bot]"), or `GET /user` with the token; once per forge."""
        if self._login is None:
            with translated("read the bot's own login", self._gate):
                if isinstance(self._auth, Auth.AppInstallationAuth):
                    settings = self._settings
                    app = GithubIntegration(base_url=settings.api_url, retry=None, seconds_between_requests=None,
                                            seconds_between_writes=None,
                                            auth=Auth.AppAuth(settings.app_id or 0, settings.private_key or ""))
                    self._login = f"{app.get_app().slug}[bot]"
                else:
                    self._login = self._gh.get_user().login
        return self._login

    def _branch_pulls(self, full_name: str, head_branch: str, state: str) -> list[PullInfo]:
        owner = full_name.split("/")[0]
        with translated(f"find the pull request of {head_branch}", self._gate):
            pulls = self._repo(full_name).get_pulls(state=state, head=f"{owner}:{head_branch}",
                                                    sort="created", direction="desc")
            return [info for info in map(_pull_info, pulls) if info.head_ref == head_branch]

    def find_pull(self, full_name: str, head_branch: str) -> PullInfo | None:
        login = self.bot_login()
        return next((p for p in self._branch_pulls(full_name, head_branch, "all")
                     if is_bot_pull(p, full_name, login)), None)

    def branch_pulls(self, full_name: str, head_branch: str) -> list[PullInfo]:
        return self._branch_pulls(full_name, head_branch, "open")

    def list_pulls(self, full_name: str, head_prefix: str, state: str = "all") -> list[PullInfo]:
        def parse_page(raw: list[dict[str, Any]]) -> list[PullInfo]:
            return [_pull_info(self._object(PullRequest, item)) for item in raw]

        with translated(f"list pull requests of {head_prefix}", self._gate):
            pulls = self._pages(full_name, f"/repos/{full_name}/pulls", {"state": state}, parse_page)
        return bot_pulls(full_name, [p for p in pulls if p.head_ref.startswith(head_prefix)], self.bot_login())

    def get_pull(self, full_name: str, number: int) -> PullInfo:
        with translated(f"read pull request #{number}", self._gate):
            return _pull_info(self._pull(full_name, number))

    def open_pull(self, full_name: str, *, head: str, base: str, title: str, body: str, draft: bool) -> PullInfo:
        with translated(f"open a pull request from {head}", self._gate):
            pr = self._repo(full_name).create_pull(base=base, head=head, title=title, body=body, draft=draft)
            return _pull_info(pr)

    def edit_pull(self, full_name: str, number: int, *, title: str | None = None, body: str | None = None,
                  state: str | None = None) -> PullInfo:
        changes: dict[str, Any] = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v}
        with translated(f"edit pull request #{number}", self._gate):
            pr = self._pull(full_name, number)
            if changes:
                pr.edit(**changes)
            return _pull_info(pr)

    def add_labels(self, full_name: str, number: int, labels: Sequence[str]) -> None:
        with translated(f"label #{number}", self._gate):
            issue = self._repo(full_name).get_issue(number)
            present = {label.name for label in issue.labels}
            missing = [label for label in dict.fromkeys(labels) if label not in present]
            if missing:
                issue.add_to_labels(*missing)

    def request_review(self, full_name: str, number: int, reviewers: Sequence[str], assignees: Sequence[str]) -> None:
        users = [r for r in dict.fromkeys(reviewers) if "/" not in r]
        teams = [r.split("/", 1)[1] for r in dict.fromkeys(reviewers) if "/" in r]
        with translated(f"request reviews on #{number}", self._gate):
            if users or teams:
                self._pull(full_name, number).create_review_request(reviewers=users, team_reviewers=teams)
            if assignees:
                self._repo(full_name).get_issue(number).add_to_assignees(*dict.fromkeys(assignees))

    def remove_label(self, full_name: str, number: int, label: str) -> None:
        try:
            with translated(f"unlabel #{number}", self._gate):
                self._repo(full_name).get_issue(number).remove_from_labels(label)
        except Permanent:
            log.info("label already absent", extra={"repo": full_name, "pull": number, "label": label})

    def upsert_comment(self, full_name: str, number: int, marker: str, body: str) -> None:
        text = body if marker in body else f"{body}\n\n{marker}"
        with translated(f"comment on #{number}", self._gate):
            issue = self._repo(full_name).get_issue(number)
            for comment in issue.get_comments():
                if marker in (comment.body or ""):
                    if comment.body != text:
                        comment.edit(text)
                    return
            issue.create_comment(text)

    def add_reaction(self, full_name: str, comment_id: int, content: str) -> None:
        with translated(f"react to comment {comment_id}", self._gate):
            # built lazily from its URL (PyGithub's Repository has no issue-comment getter): one POST, no GET
            url = f"{self._repo(full_name).url}/issues/comments/{comment_id}"
            IssueComment(self._gh.requester, url=url).create_reaction(content)

    def list_comments(self, full_name: str, number: int) -> list[CommentInfo]:
        """A conditional read (ETag): reconcile reads the comments of every open bot PR each tick."""
        def parse_page(raw: list[dict[str, Any]]) -> list[CommentInfo]:
            return [_comment_info(self._object(IssueComment, item)) for item in raw]

        with translated(f"list the comments of #{number}", self._gate):
            return self._pages(full_name, f"/repos/{full_name}/issues/{number}/comments", {}, parse_page)

    def reactions(self, full_name: str, comment_id: int) -> list[tuple[str, str]]:
        def parse_page(raw: list[dict[str, Any]]) -> list[tuple[str, str]]:
            return [((item.get("user") or {}).get("login", ""), item.get("content", "")) for item in raw]

        with translated(f"list the reactions to comment {comment_id}", self._gate):
            return self._pages(full_name, f"/repos/{full_name}/issues/comments/{comment_id}/reactions", {},
                               parse_page)

    def checks(self, full_name: str, sha: str) -> list[CheckResult]:
        """Check runs (with their ids, so a re-run wins) and the latest commit status of each context."""
        def parse_runs(raw: dict[str, Any]) -> list[CheckResult]:
            runs = [self._object(CheckRun, item) for item in raw["check_runs"]]
            return [CheckResult(run.name, run.status, run.conclusion, run.html_url or "", run.head_sha, run.id)
                    for run in runs]

        def parse_statuses(raw: dict[str, Any]) -> list[CheckResult]:
            return [CheckResult(status.context, "in_progress" if status.state == "pending" else "completed",
                                _STATUS_CONCLUSION.get(status.state), status.target_url or "", sha)
                    for status in self._object(CommitCombinedStatus, raw).statuses]

        commit = f"/repos/{full_name}/commits/{quote(sha, safe='')}"
        with translated(f"read the checks of {sha[:12]}", self._gate):
            return (self._pages(full_name, f"{commit}/check-runs", {}, parse_runs)
                    + self._get(full_name, f"{commit}/status", None, parse_statuses))

    def required_checks(self, full_name: str, branch: str) -> tuple[str, ...] | None:
        """Required checks from the branch's rulesets and its classic protection, together; None when neither
        can be read. Rulesets need no `administration` permission, so an App without it still knows them."""
        def parse(raw: dict[str, Any]) -> tuple[str, ...]:
            required = self._object(RequiredStatusChecks, raw)
            return tuple(dict.fromkeys([*required.contexts, *(c.context for c in required.checks or [])]))

        def parse_rules(raw: list[dict[str, Any]]) -> tuple[str, ...]:
            return tuple(check["context"] for rule in raw if rule.get("type") == "required_status_checks"
                         for check in (rule.get("parameters") or {}).get("required_status_checks", [])
                         if isinstance(check, dict) and check.get("context"))

        found: list[tuple[str, ...]] = []
        for url, parser in ((f"/repos/{full_name}/rules/branches/{quote(branch)}", parse_rules),
                            (f"/repos/{full_name}/branches/{quote(branch)}/protection/required_status_checks", parse)):
            try:
                with translated(f"read the branch rules of {branch}", self._gate):
                    found.append(self._get(full_name, url, None, parser))
            except Permanent:
                continue
        if not found:
            return None
        return tuple(dict.fromkeys(name for names in found for name in names))

    def set_check(self, full_name: str, sha: str, report: CheckReport) -> None:
        """A check run with annotations (GitHub takes at most MAX_ANNOTATIONS per request; the summary lists
        them all). Check runs need an App: with a plain token a commit status of that name says the verdict."""
        if not self._app:
            state = "success" if report.conclusion in ("success", "neutral") else "failure"
            with translated(f"set the status {report.name}", self._gate):
                self._repo(full_name).get_commit(sha).create_status(
                    state, description=report.title[:140], context=report.name)
            return
        notes = [{"path": a.path, "start_line": a.line, "end_line": a.line, "annotation_level": "failure",
                  "message": a.message, **({"title": a.title} if a.title else {})}
                 for a in report.annotations[:MAX_ANNOTATIONS]]
        output = {"title": report.title, "summary": report.summary[:MAX_SUMMARY], "annotations": notes}
        with translated(f"set the check {report.name}", self._gate):
            self._repo(full_name).create_check_run(name=report.name, head_sha=sha, status="completed",
                                                   conclusion=report.conclusion, output=output)

    def merge_pull(self, full_name: str, number: int, *, sha: str, method: str, title: str) -> str:
        with translated(f"merge #{number}", self._gate):
            status = self._pull(full_name, number).merge(commit_title=title, merge_method=method, sha=sha)
        if not status.merged:
            raise Permanent(f"merge #{number}: GitHub refused ({status.message})")
        return status.sha

    def pull_commits(self, full_name: str, number: int) -> list[CommitInfo]:
        with translated(f"list the commits of #{number}", self._gate):
            return [CommitInfo(c.sha, c.commit.author.email, c.commit.message)
                    for c in self._pull(full_name, number).get_commits()]

    def pull_files(self, full_name: str, number: int) -> list[str]:
        with translated(f"list the files of #{number}", self._gate):
            return [f.filename for f in self._pull(full_name, number).get_files()]

    def permission(self, full_name: str, login: str) -> str:
        try:
            with translated(f"read the permission of {login}", self._gate):
                return self._repo(full_name).get_collaborator_permission(login)
        except Permanent:
            return "none"

    # -- the dashboard issue; GitHub's issue list includes PRs, which are skipped here --------------------
    def find_issue(self, full_name: str, marker: str) -> IssueInfo | None:
        """A conditional read (ETag): an unchanged list costs a 304. PRs are skipped on their raw
        `pull_request` key (reading the attribute of a plain issue would make PyGithub fetch it)."""
        def parse_page(raw: list[dict[str, Any]]) -> list[IssueInfo]:
            return [_issue_info(self._object(Issue, item)) for item in raw
                    if "pull_request" not in item and marker in (item.get("body") or "")]

        with translated("find the dashboard issue", self._gate):
            found = self._pages(full_name, f"/repos/{full_name}/issues",
                                {"labels": markers.LABEL_BOT, "state": "all"}, parse_page)
        return found[0] if found else None

    def open_issue(self, full_name: str, title: str, body: str, labels: Sequence[str]) -> IssueInfo:
        with translated("open the dashboard issue", self._gate):
            return _issue_info(self._repo(full_name).create_issue(title=title, body=body, labels=list(labels)))

    def edit_issue(self, full_name: str, number: int, *, title: str | None = None, body: str | None = None,
                   state: str | None = None) -> IssueInfo:
        changes: dict[str, Any] = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v}
        with translated(f"edit issue #{number}", self._gate):
            issue = self._repo(full_name).get_issue(number)  # lazy: the PATCH is the only request
            issue.edit(**changes)
            return _issue_info(issue)


def installed_repos(settings: Settings) -> list[tuple[str, int]] | None:
    """(full name, installation id) of every repository the App is installed on, read from GitHub;
    None in token mode, where GitHub has no such list (the caller falls back to what it remembered).

    An installation GitHub refuses (suspended, revoked) is skipped and logged; a Retryable stops the list.
    """
    if settings.app_id is None or not settings.private_key:
        return None
    app = GithubIntegration(base_url=settings.api_url, auth=Auth.AppAuth(settings.app_id, settings.private_key),
                            retry=None, per_page=PER_PAGE, seconds_between_requests=None,
                            seconds_between_writes=None)
    found: list[tuple[str, int]] = []
    with translated("list the App's installations", rate_gate(settings.api_url, "app")):
        installations = list(app.get_installations())
    for installation in installations:
        try:
            with translated(f"list the repositories of installation {installation.id}",
                            rate_gate(settings.api_url, f"installation:{installation.id}")):
                found += [(repo.full_name, installation.id) for repo in installation.get_repos()]
        except Permanent as error:
            log.warning("installation skipped", extra={"installation_id": installation.id, "reason": str(error)})
    return sorted(found)


__all__ = ["GitHubForge", "installed_repos"]
