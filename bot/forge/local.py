"""The offline forge: local git repositories plus pull-request records as JSON files, for the demo.

A repository `full_name` is the git work tree at `<root>/<full_name>`; its pull requests live in
`<root>/.migration-bot/pulls/<full_name>/<number>.json`. Checks are always empty (nothing judges offline),
and a merge is a real `git merge` into the default branch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bot import gitops, markers
from bot.forge.base import CheckResult, CommitInfo, IssueInfo, Permanent, PullInfo, RepoInfo

RECORDS_DIR = ".migration-bot/pulls"
#: plain issues (the campaign dashboard): `<root>/.migration-bot/issues/<full_name>/<number>.json`
ISSUES_DIR = ".migration-bot/issues"


class LocalForge:
    """Implements the Forge protocol over `root`; every write lands in git or in a record file."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # -- repositories -------------------------------------------------------------------------------
    def _path(self, full_name: str) -> Path:
        path = self.root / full_name
        if not (path / ".git").exists():
            raise Permanent(f"{full_name}: no git repository at {path}")
        return path

    def _git(self, full_name: str, *args: str, check: bool = True) -> str:
        try:
            return gitops.run_git(list(args), cwd=self._path(full_name), check=check)
        except gitops.GitError as error:
            raise Permanent(f"{full_name}: {error}") from None

    def repo(self, full_name: str) -> RepoInfo:
        branch = self._git(full_name, "symbolic-ref", "--short", "HEAD").strip()
        return RepoInfo(full_name, branch, str(self._path(full_name)))

    def git_token(self, full_name: str) -> str | None:
        return None

    def read_file(self, full_name: str, path: str, ref: str) -> str | None:
        try:
            return gitops.run_git(["show", f"{ref}:{path}"], cwd=self._path(full_name))
        except gitops.GitError:
            return None

    def list_files(self, full_name: str, directory: str, ref: str) -> list[str]:
        out = self._git(full_name, "ls-tree", "--name-only", ref, f"{directory.rstrip('/')}/", check=False)
        return sorted(line for line in out.splitlines() if line)

    def _branch_sha(self, full_name: str, branch: str) -> str:
        return self._git(full_name, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).strip()

    # -- pull-request records ------------------------------------------------------------------------
    def _records(self, full_name: str) -> Path:
        return self.root / RECORDS_DIR / full_name

    def _load(self, full_name: str, number: int) -> dict[str, Any]:
        path = self._records(full_name) / f"{number}.json"
        if not path.exists():
            raise Permanent(f"{full_name}: no pull request #{number}")
        return json.loads(path.read_text(encoding="utf-8"))

    def _save(self, full_name: str, record: dict[str, Any]) -> None:
        path = self._records(full_name) / f"{record['pull']['number']}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    def _info(self, full_name: str, record: dict[str, Any]) -> PullInfo:
        info = PullInfo(**{**record["pull"], "labels": tuple(record["pull"]["labels"])})
        head = self._branch_sha(full_name, info.head_ref) if info.state == "open" else ""
        return replace(info, head_sha=head) if head else info

    def _all(self, full_name: str) -> list[PullInfo]:
        folder = self._records(full_name)
        numbers = sorted((int(p.stem) for p in folder.glob("*.json")), reverse=True) if folder.exists() else []
        return [self._info(full_name, self._load(full_name, n)) for n in numbers]

    def _update(self, full_name: str, number: int, **changes: Any) -> PullInfo:
        record = self._load(full_name, number)
        record["pull"].update(changes)
        self._save(full_name, record)
        return self._info(full_name, record)

    def find_pull(self, full_name: str, head_branch: str) -> PullInfo | None:
        for info in self._all(full_name):
            if info.head_ref == head_branch and markers.parse_marker(info.body) is not None:
                return info
        return None

    def list_pulls(self, full_name: str, head_prefix: str, state: str = "all") -> list[PullInfo]:
        return [p for p in self._all(full_name)
                if p.head_ref.startswith(head_prefix) and state in ("all", p.state)]

    def get_pull(self, full_name: str, number: int) -> PullInfo:
        return self._info(full_name, self._load(full_name, number))

    def open_pull(self, full_name: str, *, head: str, base: str, title: str, body: str, draft: bool) -> PullInfo:
        head_sha = self._branch_sha(full_name, head)
        if not head_sha:
            raise Permanent(f"{full_name}: no branch {head} to open a pull request from")
        folder = self._records(full_name)
        folder.mkdir(parents=True, exist_ok=True)
        number = max((int(p.stem) for p in folder.glob("*.json")), default=0) + 1
        while True:  # O_EXCL claims the number, so two writers never share one
            try:
                os.close(os.open(folder / f"{number}.json", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                break
            except FileExistsError:
                number += 1
        info = PullInfo(number, "open", False, head, head_sha, base, title, body, (),
                        (folder / f"{number}.json").as_uri(), draft=draft, author=gitops.BOT_NAME)
        self._save(full_name, {"pull": asdict(info), "comments": []})
        return info

    def edit_pull(self, full_name: str, number: int, *, title: str | None = None, body: str | None = None,
                  state: str | None = None) -> PullInfo:
        changes = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None}
        return self._update(full_name, number, **changes)

    def add_labels(self, full_name: str, number: int, labels: Sequence[str]) -> None:
        present = list(self._load(full_name, number)["pull"]["labels"])
        self._update(full_name, number, labels=present + [x for x in dict.fromkeys(labels) if x not in present])

    def remove_label(self, full_name: str, number: int, label: str) -> None:
        present = self._load(full_name, number)["pull"]["labels"]
        self._update(full_name, number, labels=[x for x in present if x != label])

    def comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """The PR's comments, oldest first: `{"id", "body", "reactions"}` (not part of the protocol)."""
        return list(self._load(full_name, number)["comments"])

    def upsert_comment(self, full_name: str, number: int, marker: str, body: str) -> None:
        record = self._load(full_name, number)
        text = body if marker in body else f"{body}\n\n{marker}"
        for comment in record["comments"]:
            if marker in comment["body"]:
                comment["body"] = text
                break
        else:
            record["comments"].append({"id": number * 1000 + len(record["comments"]) + 1, "body": text,
                                       "reactions": []})
        self._save(full_name, record)

    def add_reaction(self, full_name: str, comment_id: int, content: str) -> None:
        record = self._load(full_name, comment_id // 1000)
        for comment in record["comments"]:
            if comment["id"] == comment_id and content not in comment["reactions"]:
                comment["reactions"].append(content)
        self._save(full_name, record)

    # -- issues (numbered apart from the PRs: offline, nothing links the two) --------------------------
    def _issue_path(self, full_name: str, number: int) -> Path:
        return self.root / ISSUES_DIR / full_name / f"{number}.json"

    def _save_issue(self, full_name: str, info: IssueInfo) -> IssueInfo:
        path = self._issue_path(full_name, info.number)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(info), indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        return info

    def _issues(self, full_name: str) -> list[IssueInfo]:
        folder = self.root / ISSUES_DIR / full_name
        paths = sorted(folder.glob("*.json"), key=lambda p: int(p.stem)) if folder.exists() else []
        return [_issue(json.loads(p.read_text(encoding="utf-8"))) for p in paths]

    def find_issue(self, full_name: str, marker: str) -> IssueInfo | None:
        return next((i for i in self._issues(full_name) if markers.LABEL_BOT in i.labels and marker in i.body),
                    None)

    def open_issue(self, full_name: str, title: str, body: str, labels: Sequence[str]) -> IssueInfo:
        number = max((i.number for i in self._issues(full_name)), default=0) + 1
        path = self._issue_path(full_name, number)
        return self._save_issue(full_name, IssueInfo(number, "open", title, body, tuple(dict.fromkeys(labels)),
                                                     path.as_uri()))

    def edit_issue(self, full_name: str, number: int, *, title: str | None = None, body: str | None = None,
                   state: str | None = None) -> IssueInfo:
        path = self._issue_path(full_name, number)
        if not path.exists():
            raise Permanent(f"{full_name}: no issue #{number}")
        changes = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None}
        return self._save_issue(full_name, replace(_issue(json.loads(path.read_text(encoding="utf-8"))), **changes))

    # -- checks, merges, commits ---------------------------------------------------------------------
    def checks(self, full_name: str, sha: str) -> list[CheckResult]:
        return []

    def required_checks(self, full_name: str, branch: str) -> tuple[str, ...] | None:
        return None

    def merge_pull(self, full_name: str, number: int, *, sha: str, method: str, title: str) -> str:
        pull = self.get_pull(full_name, number)
        if pull.state != "open" or pull.head_sha != sha:
            raise Permanent(f"{full_name}#{number}: head moved or pull request closed; not merging")
        self._git(full_name, "checkout", "--quiet", pull.base_ref)
        if method == "squash":
            self._git(full_name, "merge", "--quiet", "--squash", sha)
            self._git(full_name, "commit", "--quiet", "--no-verify", "-m", title)
        else:
            self._git(full_name, "merge", "--quiet", "--no-ff", "-m", title, sha)
        merged = self._git(full_name, "rev-parse", "HEAD").strip()
        self._update(full_name, number, state="closed", merged=True, merge_commit_sha=merged)
        return merged

    def pull_commits(self, full_name: str, number: int) -> list[CommitInfo]:
        pull = self.get_pull(full_name, number)
        out = self._git(full_name, "log", "--format=%H%x00%ae%x00%s", f"{pull.base_ref}..{pull.head_sha}")
        return [CommitInfo(*line.split("\0")) for line in reversed(out.splitlines())]

    def permission(self, full_name: str, login: str) -> str:
        return "admin"


def _issue(record: dict[str, Any]) -> IssueInfo:
    return IssueInfo(**{**record, "labels": tuple(record["labels"])})
