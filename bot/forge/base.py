"""The Forge protocol: every GitHub-shaped effect the workers need, and the two kinds of failure."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot import markers

log = logging.getLogger(__name__)


class ForgeError(Exception):
    """Base of what a forge raises; the text never contains a token."""


class Retryable(ForgeError):
    """Try again later: 5xx, rate limits (primary or secondary), timeouts."""

    def __init__(self, reason: str, after_s: float = 0.0) -> None:
        super().__init__(reason)
        self.after_s = after_s  #: seconds to wait, from Retry-After or X-RateLimit-Reset


class Permanent(ForgeError):
    """Retrying will not help: 404, 422, permission denied. Recorded and said once on the PR."""


@dataclass(frozen=True)
class RepoInfo:
    full_name: str
    default_branch: str
    clone_url: str  #: as the API returns it; never built by hand


@dataclass(frozen=True)
class PullInfo:
    number: int
    state: str  #: "open" | "closed"
    merged: bool
    head_ref: str
    head_sha: str
    base_ref: str
    title: str
    body: str
    labels: tuple[str, ...]
    html_url: str
    draft: bool = False
    merge_commit_sha: str | None = None
    author: str = ""
    head_repo: str = ""  #: full name of the repository the head branch lives in ("" when a fork was deleted)


def is_bot_pull(pull: PullInfo, repo: str, bot_login: str) -> bool:
    """Whose PR is it: the bot's only when its head is in `repo` itself, the bot opened it, and its body
    carries the bot's marker. A fork, another author or a marker pasted into someone's PR: a human's."""
    return markers.owned_by_bot(repo=repo, head_repo=pull.head_repo, author=pull.author, bot_login=bot_login,
                                body=pull.body)


def bot_pulls(full_name: str, pulls: Sequence[PullInfo], bot_login: str) -> list[PullInfo]:
    """The bot's PRs among `pulls`; each other one (fork, other author, no marker) is logged and left alone."""
    mine = []
    for pull in pulls:
        if is_bot_pull(pull, full_name, bot_login):
            mine.append(pull)
        else:
            log.info("not the bot's pull request; ignored", extra={
                "repo": full_name, "pull": pull.number, "author": pull.author, "head_repo": pull.head_repo,
                "branch": pull.head_ref})
    return mine


@dataclass(frozen=True)
class CommentInfo:
    """A comment on a PR's conversation."""

    id: int
    author: str
    body: str
    reactions: int  #: how many reactions it carries, anyone's (0: none to look at)
    edited: bool = False  #: changed after it was posted


@dataclass(frozen=True)
class CheckResult:
    """A check run or a commit status, folded into one shape."""

    name: str
    status: str  #: "queued" | "in_progress" | "completed"
    conclusion: str | None  #: success, failure, neutral, skipped, cancelled, timed_out, action_required, stale
    url: str
    head_sha: str
    #: the run's or status's id; higher is newer, so a re-run wins over the run it replaces (0: list order)
    id: int = 0


@dataclass(frozen=True)
class Annotation:
    """One problem shown at a line of a file in a check run's output (GitHub's "annotation")."""

    path: str
    line: int  #: 1-based
    message: str
    title: str = ""


@dataclass(frozen=True)
class CheckReport:
    """A finished check run as the bot writes it: one fixed name per concern."""

    name: str
    conclusion: str  #: "success" | "failure" | "neutral"
    title: str
    summary: str  #: Markdown
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class IssueInfo:
    """A plain issue (never a PR): the campaign dashboard."""

    number: int
    state: str  #: "open" | "closed"
    title: str
    body: str
    labels: tuple[str, ...]
    html_url: str


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author_email: str
    message: str


class Forge(Protocol):
    """What the jobs may do to a repository host. Writes are find-or-create, so any prefix can be re-run."""

    def repo(self, full_name: str) -> RepoInfo: ...

    def git_token(self, full_name: str) -> str | None:
        """Token for git over HTTPS (sent as a header, never in a URL); None for local repositories."""
        ...

    def read_file(self, full_name: str, path: str, ref: str) -> str | None: ...

    def list_files(self, full_name: str, directory: str, ref: str) -> list[str]: ...

    def bot_login(self) -> str:
        """The login the bot acts as (the App's `<slug>[bot]`, or the token's user); read once, then cached."""
        ...

    def find_pull(self, full_name: str, head_branch: str) -> PullInfo | None:
        """The bot's PR (`is_bot_pull`) for this head branch in any state, newest first; None when none."""
        ...

    def list_pulls(self, full_name: str, head_prefix: str, state: str = "all") -> list[PullInfo]:
        """The bot's PRs (`is_bot_pull`) whose head branch starts with `head_prefix`; others are logged."""
        ...

    def branch_pulls(self, full_name: str, head_branch: str) -> list[PullInfo]:
        """Everyone's open PRs whose head is `head_branch` in this repository (who holds a branch name)."""
        ...

    def get_pull(self, full_name: str, number: int) -> PullInfo: ...

    def open_pull(
        self, full_name: str, *, head: str, base: str, title: str, body: str, draft: bool
    ) -> PullInfo: ...

    def edit_pull(
        self,
        full_name: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> PullInfo: ...

    def add_labels(self, full_name: str, number: int, labels: Sequence[str]) -> None:
        """Adds only the missing ones."""
        ...

    def remove_label(self, full_name: str, number: int, label: str) -> None: ...

    def request_review(self, full_name: str, number: int, reviewers: Sequence[str], assignees: Sequence[str]) -> None:
        """Asks `reviewers` (logins, or "org/team" slugs) to review PR `number` and assigns `assignees`;
        asking again is harmless (GitHub keeps one request per reviewer)."""
        ...

    def upsert_comment(self, full_name: str, number: int, marker: str, body: str) -> None:
        """Edits the bot's comment carrying `marker`, or posts it when there is none."""
        ...

    def add_reaction(self, full_name: str, comment_id: int, content: str) -> None: ...

    def list_comments(self, full_name: str, number: int) -> list[CommentInfo]:
        """The PR's conversation comments, oldest first."""
        ...

    def reactions(self, full_name: str, comment_id: int) -> list[tuple[str, str]]:
        """(login, content) of every reaction on the comment."""
        ...

    def checks(self, full_name: str, sha: str) -> list[CheckResult]: ...

    def required_checks(self, full_name: str, branch: str) -> tuple[str, ...] | None:
        """Required check names from branch protection; None when they cannot be read."""
        ...

    def set_check(self, full_name: str, sha: str, report: CheckReport) -> None:
        """Records `report` on `sha` as a completed check run (a new run of that name replaces the last)."""
        ...

    def merge_pull(self, full_name: str, number: int, *, sha: str, method: str, title: str) -> str:
        """Merges only if the head is still `sha`; returns the merge commit sha."""
        ...

    def pull_commits(self, full_name: str, number: int) -> list[CommitInfo]: ...

    def pull_files(self, full_name: str, number: int) -> list[str]:
        """Paths the PR changes (added, modified, renamed to, or removed), as GitHub lists them."""
        ...

    def permission(self, full_name: str, login: str) -> str:
        """"admin" | "maintain" | "write" | "triage" | "read" | "none"."""
        ...

    def find_issue(self, full_name: str, marker: str) -> IssueInfo | None:
        """The bot-labelled issue (open or closed, never a PR) whose body carries `marker`; None when none."""
        ...

    def open_issue(self, full_name: str, title: str, body: str, labels: Sequence[str]) -> IssueInfo: ...

    def edit_issue(
        self,
        full_name: str,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> IssueInfo: ...
