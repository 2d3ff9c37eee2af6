"""The fake GitHub's in-memory state and the API tests use to arrange and assert it (never URLs)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fake_github import bare

PERMISSIONS = ("admin", "maintain", "write", "triage", "read", "none")
BOT_LOGIN = "migration-bot[bot]"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Pull:
    number: int
    id: int
    title: str
    body: str
    head: str  #: head branch name (same repository)
    base: str
    user: str
    head_sha: str  #: refreshed from the branch while it exists
    created_at: str
    updated_at: str
    draft: bool = False
    state: str = "open"
    merged: bool = False
    merged_at: str | None = None
    closed_at: str | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None
    labels: list[str] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)  #: logins
    requested_teams: list[str] = field(default_factory=list)  #: team slugs
    assignees: list[str] = field(default_factory=list)
    head_repo: str | None = None  #: a fork's full name when the head branch lives there; None: this repository


@dataclass
class Comment:
    id: int
    number: int
    body: str
    user: str
    created_at: str
    updated_at: str
    reactions: list[tuple[str, str]] = field(default_factory=list)  #: (login, content)


@dataclass
class Issue:
    """A plain issue (not a PR); shares the repository's numbers with the PRs, as on GitHub."""

    number: int
    id: int
    title: str
    body: str
    user: str
    created_at: str
    updated_at: str
    state: str = "open"
    closed_at: str | None = None
    labels: list[str] = field(default_factory=list)


@dataclass
class CheckRun:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    started_at: str
    completed_at: str | None
    suite_id: int
    #: the check's output as posted: title, summary and annotations (path, start_line, message, ...)
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class Status:
    id: int
    sha: str
    context: str
    state: str
    description: str | None
    target_url: str | None
    created_at: str
    creator: str


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    bare: Path
    default_branch: str
    created_at: str
    pulls: dict[int, Pull] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)  #: by comment id
    label_ids: dict[str, int] = field(default_factory=dict)
    check_runs: list[CheckRun] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    permissions: dict[str, str] = field(default_factory=dict)
    required_checks: dict[str, list[str]] = field(default_factory=dict)
    #: required checks from repository rulesets, by branch (read without `administration` permission)
    ruleset_checks: dict[str, list[str]] = field(default_factory=dict)
    installation_id: int = 1
    issues: dict[int, Issue] = field(default_factory=dict)  #: plain issues by number

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class State:
    """Repositories, PRs, comments, checks; all methods are safe to call from tests while the server runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repos: dict[str, Repo] = {}
        self.lock = threading.RLock()
        self._ids = itertools.count(1000)

    def next_id(self) -> int:
        return next(self._ids)

    def repo(self, full_name: str) -> Repo:
        return self.repos[full_name]

    def create_repo(self, full_name: str, files: dict[str, str] | None = None,
                    default_branch: str = "main") -> Path:
        """A bare repository with one commit holding `files` on `default_branch`; returns its path."""
        owner, name = full_name.split("/")
        path = bare.init_bare(self.root / owner / f"{name}.git", default_branch)
        bare.commit_files(path, default_branch, files or {"README.md": f"# {name}\n"}, "Initial commit")
        with self.lock:
            self.repos[full_name] = Repo(owner, name, self.next_id(), path, default_branch, now())
        return path

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        return bare.rev_parse(self.repo(full_name).bare, f"refs/heads/{branch}")

    def commit_file(self, full_name: str, branch: str, path: str, text: str | None,
                    message: str = "Human edit", author: tuple[str, str] = bare.HUMAN) -> str:
        """A human pushing a commit (no webhook; use a real `git push` for that); returns the new sha."""
        with self.lock:
            return bare.commit_files(self.repo(full_name).bare, branch, {path: text}, message, author)

    def pulls(self, full_name: str) -> list[Pull]:
        with self.lock:
            repo = self.repo(full_name)
            for pull in repo.pulls.values():
                self.refresh_head(repo, pull)
            return sorted(repo.pulls.values(), key=lambda p: p.number)

    def pull(self, full_name: str, number: int) -> Pull:
        return next(p for p in self.pulls(full_name) if p.number == number)

    def refresh_head(self, repo: Repo, pull: Pull) -> None:
        if pull.state == "open":
            head = self.repos.get(pull.head_repo or "", repo)
            pull.head_sha = bare.rev_parse(head.bare, f"refs/heads/{pull.head}") or pull.head_sha

    def comments(self, full_name: str, number: int) -> list[Comment]:
        with self.lock:
            return [c for c in self.repo(full_name).comments.values() if c.number == number]

    def create_comment(self, full_name: str, number: int, body: str, user: str) -> int:
        """A comment as `user` with no webhook (a delivery GitHub never made, or the bot lost); its id."""
        with self.lock:
            item = Comment(self.next_id(), number, body, user, now(), now())
            self.repo(full_name).comments[item.id] = item
            return item.id

    def labels(self, full_name: str, number: int) -> list[str]:
        return list(self.pull(full_name, number).labels)

    def add_check_run(self, full_name: str, sha: str, name: str, status: str = "completed",
                      conclusion: str | None = "success") -> CheckRun:
        """Adds (or replaces, like a re-run) the check run `name` on `sha`."""
        with self.lock:
            repo = self.repo(full_name)
            repo.check_runs = [r for r in repo.check_runs if not (r.head_sha == sha and r.name == name)]
            done = now() if status == "completed" else None
            run = CheckRun(self.next_id(), sha, name, status, conclusion if done else None, now(), done,
                           self.next_id())
            repo.check_runs.append(run)
            return run

    def set_status(self, full_name: str, sha: str, context: str, state: str,
                   description: str | None = None, target_url: str | None = None,
                   creator: str = "ci-bot") -> Status:
        with self.lock:
            status = Status(self.next_id(), sha, context, state, description, target_url, now(), creator)
            self.repo(full_name).statuses.append(status)
            return status

    def set_permission(self, full_name: str, login: str, permission: str) -> None:
        assert permission in PERMISSIONS, permission
        with self.lock:
            self.repo(full_name).permissions[login] = permission

    def set_required_checks(self, full_name: str, branch: str, names: list[str]) -> None:
        with self.lock:
            self.repo(full_name).required_checks[branch] = list(names)

    def set_ruleset_checks(self, full_name: str, branch: str, names: list[str]) -> None:
        """A repository ruleset requiring `names` on `branch` (GitHub's newer branch rules)."""
        with self.lock:
            self.repo(full_name).ruleset_checks[branch] = list(names)

    def open_pull(self, full_name: str, head: str, base: str, title: str, body: str = "",
                  user: str = BOT_LOGIN, draft: bool = False, head_repo: str | None = None) -> Pull:
        """Opens a PR as the API would (tests may also call it to arrange a human's PR, or one from the fork
        `head_repo`: its head commit is fetched into `refs/pull/<n>/head` here, as GitHub does)."""
        with self.lock:
            repo = self.repo(full_name)
            source = self.repo(head_repo) if head_repo else repo
            sha = bare.rev_parse(source.bare, f"refs/heads/{head}")
            assert sha is not None, f"no branch {head}"
            number = max([0, *repo.pulls, *repo.issues]) + 1
            if head_repo:
                bare.git(repo.bare, "fetch", "--quiet", str(source.bare), f"refs/heads/{head}:refs/pull/{number}/head")
            pull = Pull(number, self.next_id(), title, body, head, base, user, sha, now(), now(), draft,
                        head_repo=head_repo)
            repo.pulls[number] = pull
            return pull

    def fork(self, full_name: str, owner: str) -> str:
        """A fork of `full_name` owned by `owner` (a copy of its bare repository, made once); its name."""
        with self.lock:
            origin = self.repo(full_name)
            fork_name = f"{owner}/{origin.name}"
            if fork_name in self.repos:
                return fork_name
            path = self.root / owner / f"{origin.name}.git"
            bare.git(origin.bare, "clone", "--quiet", "--bare", str(origin.bare), str(path))
            self.repos[fork_name] = Repo(owner, origin.name, self.next_id(), path, origin.default_branch, now(),
                                         installation_id=0)
            return fork_name

    def issues(self, full_name: str) -> list[Issue]:
        with self.lock:
            return sorted(self.repo(full_name).issues.values(), key=lambda i: i.number)

    def find_comment(self, comment_id: int) -> tuple[Repo, Comment] | None:
        with self.lock:
            for repo in self.repos.values():
                if comment_id in repo.comments:
                    return repo, repo.comments[comment_id]
        return None
