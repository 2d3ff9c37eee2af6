"""The Forge protocol: every GitHub-shaped effect the workers need, and the two kinds of failure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


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

    def find_pull(self, full_name: str, head_branch: str) -> PullInfo | None:
        """The bot's PR for this head branch in any state, newest first; None when there is none."""
        ...

    def list_pulls(self, full_name: str, head_prefix: str, state: str = "all") -> list[PullInfo]: ...

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

    def upsert_comment(self, full_name: str, number: int, marker: str, body: str) -> None:
        """Edits the bot's comment carrying `marker`, or posts it when there is none."""
        ...

    def add_reaction(self, full_name: str, comment_id: int, content: str) -> None: ...

    def checks(self, full_name: str, sha: str) -> list[CheckResult]: ...

    def required_checks(self, full_name: str, branch: str) -> tuple[str, ...] | None:
        """Required check names from branch protection; None when they cannot be read."""
        ...

    def merge_pull(self, full_name: str, number: int, *, sha: str, method: str, title: str) -> str:
        """Merges only if the head is still `sha`; returns the merge commit sha."""
        ...

    def pull_commits(self, full_name: str, number: int) -> list[CommitInfo]: ...

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
