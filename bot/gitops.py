"""The only module that runs git: clone, branch, commit, push, revert, over real git.

Tokens travel as an `http.extraHeader` in the child's environment (GIT_CONFIG_*), never in a URL,
argv, a log line or exception text.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

BOT_NAME = "migration-bot[bot]"
BOT_EMAIL = "migration-bot@users.noreply.github.com"


class GitError(Exception):
    """A git command failed; the message holds git's stderr with any token scrubbed."""


@dataclass(frozen=True)
class GitAuth:
    token: str | None = None

    def env(self) -> dict[str, str]:
        if not self.token:
            return {}
        basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        return {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        }

    def scrub(self, text: str) -> str:
        if not self.token:
            return text
        basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        return text.replace(self.token, "***").replace(basic, "***")


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME=BOT_NAME,
        GIT_AUTHOR_EMAIL=BOT_EMAIL,
        GIT_COMMITTER_NAME=BOT_NAME,
        GIT_COMMITTER_EMAIL=BOT_EMAIL,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def run_git(args: Sequence[str], cwd: str | Path | None = None, auth: GitAuth | None = None,
            check: bool = True) -> str:
    """Runs `git args` and returns stdout; raises GitError (token-free) when `check` and it fails."""
    auth = auth or GitAuth()
    env = _base_env() | auth.env()
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise GitError(auth.scrub(f"git {args[0]} failed ({proc.returncode}): {proc.stderr.strip()}"))
    return proc.stdout


def head_sha(repo: str | Path, rev: str = "HEAD") -> str:
    return run_git(["rev-parse", rev], cwd=repo).strip()


def changed_files(repo: str | Path) -> list[str]:
    """Paths with uncommitted changes (tracked files only), relative to the repository root."""
    out = run_git(["diff", "--name-only", "HEAD"], cwd=repo)
    return [line for line in out.splitlines() if line]


@contextlib.contextmanager
def temporary_worktree(repo: str | Path, rev: str = "HEAD") -> Iterator[Path]:
    """A detached checkout of `rev` in a temporary folder, removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="migration-bot-wt-"))
    path = tmp / "tree"
    run_git(["worktree", "add", "--detach", str(path), rev], cwd=repo)
    try:
        yield path
    finally:
        run_git(["worktree", "remove", "--force", str(path)], cwd=repo, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class CommitStamp:
    """Who made one commit: a rebase keeps the author but changes the committer, so both count."""

    sha: str
    author_email: str
    committer_email: str

    @property
    def by_bot(self) -> bool:
        return self.author_email == BOT_EMAIL and self.committer_email == BOT_EMAIL


def clone(url: str, dest: str | Path, *, rev: str, auth: GitAuth | None = None, depth: int = 1) -> Path:
    """A shallow clone of `url` with `rev` (a sha or a branch) checked out detached in `dest`.

    Fetches only that commit (`depth`), so the cost does not grow with the repository's history;
    when the server refuses a sha in a want, falls back to its branches and looks for it there.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    run_git(["init", "--quiet"], cwd=dest)
    run_git(["remote", "add", "origin", _transport_url(url)], cwd=dest)
    try:
        run_git(["fetch", "--quiet", "--no-tags", f"--depth={depth}", "origin", rev], cwd=dest, auth=auth)
        run_git(["checkout", "--quiet", "--detach", "FETCH_HEAD"], cwd=dest)
    except GitError:
        log.info("fetch by sha refused; fetching branches", extra={"rev": rev})
        run_git(["fetch", "--quiet", "--no-tags", "--depth=50", "origin",
                 "+refs/heads/*:refs/remotes/origin/*"], cwd=dest, auth=auth)
        run_git(["checkout", "--quiet", "--detach", rev], cwd=dest)
    return dest


def _transport_url(url: str) -> str:
    """A local path becomes a file:// URL so `--depth` is honoured (git ignores it for plain paths)."""
    if "://" in url or url.startswith("git@"):
        return url
    return Path(url).resolve().as_uri()


def checkout_branch(repo: str | Path, branch: str, start: str = "HEAD") -> None:
    """Creates or resets local `branch` at `start` and checks it out (`checkout -B`)."""
    run_git(["checkout", "--quiet", "-B", branch, start], cwd=repo)


def commit_all(repo: str | Path, message: str) -> str | None:
    """Commits every change in the work tree as the bot; None (and no commit) when nothing changed."""
    run_git(["add", "--all"], cwd=repo)
    if not run_git(["status", "--porcelain"], cwd=repo).strip():
        return None
    run_git(["commit", "--quiet", "--no-verify", "-m", message], cwd=repo)
    return head_sha(repo)


def remote_branch_sha(repo: str | Path, branch: str, auth: GitAuth | None = None) -> str | None:
    """The sha `branch` has on origin right now, or None when origin has no such branch."""
    out = run_git(["ls-remote", "--heads", "origin", f"refs/heads/{branch}"], cwd=repo, auth=auth)
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def fetch(repo: str | Path, branch: str, auth: GitAuth | None = None, depth: int = 20) -> str:
    """Fetches origin's `branch` into refs/remotes/origin/<branch>; returns that ref's name."""
    ref = f"refs/remotes/origin/{branch}"
    run_git(["fetch", "--quiet", "--no-tags", f"--depth={depth}", "origin",
             f"+refs/heads/{branch}:{ref}"], cwd=repo, auth=auth)
    return ref


def commit_stamps(repo: str | Path, rev: str, limit: int = 20) -> list[CommitStamp]:
    """Author and committer of the first-parent commits from `rev` backwards, newest first."""
    out = run_git(["log", "--first-parent", f"--max-count={limit}", "--format=%H%x00%ae%x00%ce", rev], cwd=repo)
    stamps = []
    for line in out.splitlines():
        sha, author, committer = line.split("\0")
        stamps.append(CommitStamp(sha, author, committer))
    return stamps


def foreign_commits(repo: str | Path, rev: str, limit: int = 20) -> list[CommitStamp]:
    """Commits on top of the bot's newest commit at `rev` that the bot did not make.

    The bot only ever pushes one fresh commit on a default-branch commit, so anything above its
    newest commit came from someone else; with no bot commit in reach, all of them are foreign.
    """
    foreign = []
    for stamp in commit_stamps(repo, rev, limit):
        if stamp.by_bot:
            return foreign
        foreign.append(stamp)
    return foreign


def same_tree(repo: str | Path, rev_a: str, rev_b: str) -> bool:
    """True when both revisions hold exactly the same files (a push would change nothing but history)."""
    trees = run_git(["rev-parse", f"{rev_a}^{{tree}}", f"{rev_b}^{{tree}}"], cwd=repo).split()
    return trees[0] == trees[1]


def push(repo: str | Path, branch: str, *, expected: str | None, auth: GitAuth | None = None) -> None:
    """Pushes HEAD to origin's `branch`, only if origin still has `expected` there (None: no branch yet).

    `--force-with-lease` makes a concurrent push (or a human's) fail the push instead of being lost.
    """
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    run_git(["push", "--quiet", "--porcelain", lease, "origin", f"HEAD:refs/heads/{branch}"], cwd=repo, auth=auth)


def revert(repo: str | Path, sha: str, message: str | None = None) -> str:
    """Commits a real `git revert` of `sha` as the bot (mainline 1 for a merge commit); returns the new sha."""
    parents = run_git(["rev-list", "--parents", "-n", "1", sha], cwd=repo).split()[1:]
    args = ["revert", "--no-edit"] + (["-m", "1"] if len(parents) > 1 else []) + [sha]
    run_git(args, cwd=repo)
    if message:
        run_git(["commit", "--quiet", "--amend", "-m", message], cwd=repo)
    return head_sha(repo)


def init_repository(path: str | Path, branch: str = "main", message: str = "Initial commit") -> str:
    """Turns the folder at `path` into a git repository with everything committed on `branch`."""
    run_git(["init", "--quiet", f"--initial-branch={branch}"], cwd=path)
    run_git(["add", "--all"], cwd=path)
    run_git(["commit", "--quiet", "--no-verify", "--allow-empty", "-m", message], cwd=path)
    return head_sha(path)
