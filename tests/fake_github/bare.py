"""Bare repositories behind the fake: read files, commit as a human, merge pull requests, with git plumbing.

Every write goes through a temporary index file and `commit-tree`/`update-ref`, so no worktree is ever needed
and a merge really moves the base branch the way GitHub's merge button does.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

HUMAN = ("Octo Human", "human@example.com")


class MergeConflict(Exception):
    """The head cannot be merged into the base without conflicts."""


@dataclass(frozen=True)
class CommitRecord:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str  #: ISO 8601 with offset, as git prints it
    message: str
    tree: str


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str  #: "blob" | "tree"
    sha: str
    size: int
    path: str


def git(bare: Path, *args: str, env: dict[str, str] | None = None, data: bytes | None = None) -> str:
    """Runs git on the bare repository and returns stdout; raises CalledProcessError on failure."""
    full_env = {"PATH": os.environ["PATH"], "HOME": str(bare.parent), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": HUMAN[0], "GIT_AUTHOR_EMAIL": HUMAN[1],
                "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"} | (env or {})
    proc = subprocess.run(["git", "--git-dir", str(bare), *args], env=full_env, input=data,
                          capture_output=True, check=True)
    return proc.stdout.decode()


def init_bare(path: Path, default_branch: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--bare", "-q", "-b", default_branch, str(path)], check=True)
    git(path, "config", "http.receivepack", "true")
    return path


def rev_parse(bare: Path, rev: str) -> str | None:
    try:
        return git(bare, "rev-parse", "--verify", "-q", rev + "^{commit}").strip() or None
    except subprocess.CalledProcessError:
        return None


def refs(bare: Path) -> dict[str, str]:
    """All refs as {"refs/heads/main": sha}."""
    out = git(bare, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def update_ref(bare: Path, ref: str, sha: str | None) -> None:
    if sha is None:
        git(bare, "update-ref", "-d", ref)
    else:
        git(bare, "update-ref", ref, sha)


def commit_files(bare: Path, branch: str, files: dict[str, str | None], message: str,
                 author: tuple[str, str] = HUMAN) -> str:
    """Commits `files` (None deletes) on top of `branch` (created when missing) and moves the branch."""
    parent = rev_parse(bare, f"refs/heads/{branch}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_AUTHOR_NAME": author[0],
               "GIT_AUTHOR_EMAIL": author[1], "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}
        if parent:
            git(bare, "read-tree", parent, env=env)
        for path, text in files.items():
            if text is None:
                # --index-info with mode 0 removes the entry; --force-remove wants a work tree
                git(bare, "update-index", "--index-info", env=env, data=f"0 {'0' * 40}\t{path}\n".encode())
                continue
            blob = git(bare, "hash-object", "-w", "--stdin", data=text.encode()).strip()
            git(bare, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = git(bare, "write-tree", env=env).strip()
        sha = git(bare, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message, env=env).strip()
    update_ref(bare, f"refs/heads/{branch}", sha)
    return sha


def commit(bare: Path, sha: str) -> CommitRecord:
    fmt = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%T%x00%B"
    fields = git(bare, "show", "-s", f"--format={fmt}", sha).split("\x00")
    return CommitRecord(fields[0], tuple(fields[1].split()), fields[2], fields[3], fields[4],
                        fields[6].rstrip("\n"), fields[5])


def commits_between(bare: Path, base: str, head: str) -> list[CommitRecord]:
    """Commits reachable from head and not from base, oldest first (what a PR or a push carries)."""
    shas = git(bare, "rev-list", "--reverse", head, f"^{base}").split()
    return [commit(bare, sha) for sha in shas]


def changed_paths(bare: Path, base: str, head: str) -> dict[str, str]:
    """{path: "added" | "modified" | "removed"} between two commits (`base...head` when merge_base)."""
    names = {"A": "added", "M": "modified", "D": "removed"}
    out = git(bare, "diff", "--name-status", "--no-renames", base, head)
    return {line.split("\t", 1)[1]: names.get(line[0], "modified") for line in out.splitlines() if line}


def merge_base(bare: Path, a: str, b: str) -> str | None:
    try:
        return git(bare, "merge-base", a, b).strip() or None
    except subprocess.CalledProcessError:
        return None


def read_blob(bare: Path, ref: str, path: str) -> bytes | None:
    try:
        return subprocess.run(["git", "--git-dir", str(bare), "show", f"{ref}:{path}"],
                              capture_output=True, check=True).stdout
    except subprocess.CalledProcessError:
        return None


def ls_tree(bare: Path, ref: str, path: str) -> list[TreeEntry] | None:
    """Entries of the directory `path` at `ref` ("" is the root); None when it is not a directory."""
    spec = f"{ref}:{path}" if path else f"{ref}^{{tree}}"
    try:
        kind = git(bare, "cat-file", "-t", spec).strip()
    except subprocess.CalledProcessError:
        return None
    if kind != "tree":
        return None
    entries = []
    for line in git(bare, "ls-tree", "-l", spec).splitlines():
        meta, name = line.split("\t", 1)
        mode, kind, sha, size = meta.split()
        entries.append(TreeEntry(mode, kind, sha, 0 if size == "-" else int(size), f"{path}/{name}".lstrip("/")))
    return entries


def blob_sha(bare: Path, ref: str, path: str) -> str | None:
    try:
        return git(bare, "rev-parse", f"{ref}:{path}").strip()
    except subprocess.CalledProcessError:
        return None


def _merged_tree(bare: Path, ours: str, theirs: str) -> str:
    try:
        return git(bare, "merge-tree", "--write-tree", ours, theirs).split()[0]
    except subprocess.CalledProcessError as exc:
        raise MergeConflict(exc.stdout.decode(errors="replace")[:500]) from exc


def _picked_tree(bare: Path, onto: str, record: CommitRecord) -> str:
    """The tree of cherry-picking `record` onto `onto`: a 3-way index merge; any content conflict is a conflict."""
    parent = record.parents[0] if record.parents else onto
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(bare, "read-tree", "-m", "-i", "--aggressive", parent, onto, record.sha, env=env)
        try:
            return git(bare, "write-tree", env=env).strip()
        except subprocess.CalledProcessError as exc:
            raise MergeConflict(f"cannot rebase {record.sha}") from exc


def merge(bare: Path, base_branch: str, head_sha: str, method: str, title: str, message: str) -> str:
    """Merges head into base_branch like GitHub's button (merge | squash | rebase); returns the new base sha."""
    base_sha = rev_parse(bare, f"refs/heads/{base_branch}")
    assert base_sha is not None
    text = f"{title}\n\n{message}".strip() + "\n"
    if method == "rebase":
        new = base_sha
        for record in commits_between(bare, base_sha, head_sha):
            tree = _picked_tree(bare, new, record)
            env = {"GIT_AUTHOR_NAME": record.author_name, "GIT_AUTHOR_EMAIL": record.author_email,
                   "GIT_AUTHOR_DATE": record.date}
            new = git(bare, "commit-tree", tree, "-p", new, "-m", record.message, env=env).strip()
    else:
        tree = _merged_tree(bare, base_sha, head_sha)
        parents = ["-p", base_sha] + (["-p", head_sha] if method == "merge" else [])
        new = git(bare, "commit-tree", tree, *parents, "-m", text).strip()
    git(bare, "update-ref", f"refs/heads/{base_branch}", new, base_sha)
    return new
