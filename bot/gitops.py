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
