"""gitops over real git: shallow clone, bot commits, leased pushes, foreign-commit detection, secrets."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from bot import gitops

TOKEN = "ghs_s3cretTOKENvalue123"


def _git(cwd: Path, *args: str, email: str = "human@example.com") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Human", "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": "Human", "GIT_COMMITTER_EMAIL": email}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def origin(tmp_path: Path) -> tuple[Path, str]:
    """A bare repository with two commits on main; returns (path, head sha)."""
    work = tmp_path / "seed"
    work.mkdir()
    (work / "a.py").write_text("import old\n")
    gitops.init_repository(work)
    (work / "b.py").write_text("x = 1\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "second")
    bare = tmp_path / "origin.git"
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare, gitops.head_sha(work)


def test_clone_is_shallow_at_the_sha(origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, sha = origin
    dest = gitops.clone(str(bare), tmp_path / "c", rev=sha)
    assert gitops.head_sha(dest) == sha
    assert (dest / "b.py").read_text() == "x = 1\n"
    assert _git(dest, "rev-parse", "--is-shallow-repository").strip() == "true"
    assert _git(dest, "rev-list", "--count", "HEAD").strip() == "1"


def test_commit_all_commits_as_the_bot_and_skips_when_clean(origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, sha = origin
    dest = gitops.clone(str(bare), tmp_path / "c", rev=sha)
    gitops.checkout_branch(dest, "migration-bot/c/unit", sha)
    assert gitops.commit_all(dest, "nothing") is None
    (dest / "a.py").write_text("import new\n")
    new = gitops.commit_all(dest, "migrate")
    assert new == gitops.head_sha(dest) != sha
    [stamp] = gitops.commit_stamps(dest, "HEAD", limit=1)
    assert stamp.by_bot and stamp.author_email == gitops.BOT_EMAIL


def test_push_with_lease_refuses_a_moved_branch(origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, sha = origin
    dest = gitops.clone(str(bare), tmp_path / "c", rev=sha)
    gitops.checkout_branch(dest, "topic", sha)
    (dest / "a.py").write_text("import new\n")
    first = gitops.commit_all(dest, "one")
    gitops.push(dest, "topic", expected=None)
    assert gitops.remote_branch_sha(dest, "topic") == first
    gitops.checkout_branch(dest, "topic", sha)
    (dest / "a.py").write_text("import newer\n")
    second = gitops.commit_all(dest, "two")
    with pytest.raises(gitops.GitError):
        gitops.push(dest, "topic", expected=None)  # the branch exists now: the lease says no
    with pytest.raises(gitops.GitError):
        gitops.push(dest, "topic", expected=sha)  # not what origin has
    assert gitops.remote_branch_sha(dest, "topic") == first
    gitops.push(dest, "topic", expected=first)  # a force push over the bot's own commit
    assert gitops.remote_branch_sha(dest, "topic") == second
    assert gitops.remote_branch_sha(dest, "missing") is None


def test_foreign_commits_finds_human_and_rebased_commits(origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, sha = origin
    dest = gitops.clone(str(bare), tmp_path / "c", rev=sha)
    gitops.checkout_branch(dest, "topic", sha)
    (dest / "a.py").write_text("import new\n")
    gitops.commit_all(dest, "bot")
    assert gitops.foreign_commits(dest, "HEAD") == []
    (dest / "c.py").write_text("y = 2\n")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-qm", "human")
    assert [s.author_email for s in gitops.foreign_commits(dest, "HEAD")] == ["human@example.com"]
    _git(dest, "reset", "-q", "--hard", "HEAD~1")
    _git(dest, "commit", "-q", "--amend", "--no-edit")  # author stays the bot, committer is the human
    rebased = gitops.foreign_commits(dest, "HEAD")[0]
    assert rebased.author_email == gitops.BOT_EMAIL and not rebased.by_bot


def test_same_tree_and_fetch(origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, sha = origin
    dest = gitops.clone(str(bare), tmp_path / "c", rev=sha)
    gitops.checkout_branch(dest, "topic", sha)
    (dest / "a.py").write_text("import new\n")
    gitops.commit_all(dest, "bot")
    gitops.push(dest, "topic", expected=None)
    again = gitops.clone(str(bare), tmp_path / "d", rev=sha)
    (again / "a.py").write_text("import new\n")
    gitops.commit_all(again, "bot again")
    ref = gitops.fetch(again, "topic")
    assert gitops.same_tree(again, "HEAD", ref)
    assert not gitops.same_tree(again, "HEAD", sha)


def test_revert_undoes_a_commit(origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, sha = origin
    dest = gitops.clone(str(bare), tmp_path / "c", rev=sha, depth=5)
    gitops.checkout_branch(dest, "revert", sha)
    gitops.revert(dest, sha, message="Revert second")
    assert not (dest / "b.py").exists()
    assert _git(dest, "log", "-1", "--format=%s").strip() == "Revert second"


def test_token_travels_in_env_never_in_argv_or_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `git` shim first on PATH records argv and the header it received, then fails like a bad remote."""
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir()
    log_file = tmp_path / "argv.log"
    shim = shim_dir / "git"
    shim.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {log_file}\n'
        f'echo "$GIT_CONFIG_VALUE_0" >> {log_file}.env\n'
        f'exec {shutil.which("git")} "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    auth = gitops.GitAuth(TOKEN)
    url = f"http://127.0.0.1:9/{TOKEN}/repo.git"  # nothing listens on port 9: the fetch fails
    with pytest.raises(gitops.GitError) as caught:
        gitops.clone(url, tmp_path / "c", rev="main", auth=auth)
    assert TOKEN not in str(caught.value)
    assert "***" in str(caught.value)
    assert TOKEN not in log_file.read_text().replace(url, "")
    assert "Authorization: Basic" in (tmp_path / "argv.log.env").read_text()
