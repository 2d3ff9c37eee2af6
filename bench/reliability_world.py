"""Campaigns for the reliability run: seed-shaped repositories on the fake GitHub, a CI that turns every
bot PR head green, human pushes, and the ledger that says what was lost, duplicated or overwritten.

GitHub (the fake's state and bare repositories) is the only thing judged: a campaign is finished when
every category's PR is merged and no deprecated import is left on main in the category's folder.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot import markers
from bot.demo.sample import CAMPAIGN_FILE, FOLDERS, generate_sample_repo
from tests.fake_github import bare, hooks
from tests.fake_github.server import FakeGitHub

CAMPAIGN_ID = "execution-engine-ssot"
CAMPAIGN_PATH = f".github/migrations/{CAMPAIGN_ID}.yml"
#: the campaign's categories in this run (`use_categories` keeps the first few, for the short mode)
CATEGORIES = {"mission-critical": "tests/mission_critical/", "integration": "tests/integration/",
              "e2e": "tests/e2e/", "unit": "tests/unit/"}


def use_categories(count: int) -> None:
    """Keeps the first `count` categories in CATEGORIES and in the campaigns `campaign_text` writes."""
    for name in list(CATEGORIES)[count:]:
        del CATEGORIES[name]
DEPRECATED = "supervisor.execution_engine import ExecutionEngine"
CI_LOGIN = "ci-runner"
HUMAN = ("Hu Man", "human@example.com")
ROLLOUT = "{order: parallel, max_open: 2, on_failure: close, automerge: true, required_checks: [ci]}"


def sample_files(keep_per_folder: int = 3) -> dict[str, str]:
    """The demo's seed-shaped sample repository, trimmed to `keep_per_folder` test files per category folder."""
    with tempfile.TemporaryDirectory(prefix="reliability-sample-") as tmp:
        root = Path(tmp) / "repo"
        generate_sample_repo(root)
        for folder in FOLDERS:
            for extra in sorted((root / folder).rglob("test_*.py"))[keep_per_folder:]:
                extra.unlink()
        return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def campaign_text(rollout: str = ROLLOUT, tests: bool = False) -> str:
    """The demo campaign with `rollout`; without `tests` the validate step only parses and counts references."""
    text = CAMPAIGN_FILE.read_text()
    text = re.sub(r"(?m)^rollout:.*$", f"rollout: {rollout}", text)
    if not tests:
        text = re.sub(r"(?m)^validate:\n(?:  .*\n)+", "", text)
    kept = [line for line in text.splitlines(keepends=True)
            if not line.startswith("  - {name: ") or line.split(",")[0].split(": ")[1] in CATEGORIES]
    return "".join(kept)


@dataclass
class Campaign:
    """One campaign on one repository of the fake, and what happened to it."""

    fake: FakeGitHub
    repo: str
    started: float = 0.0
    finished_at: float | None = None
    human_commits: dict[str, str] = field(default_factory=dict)  #: sha -> the file it added

    def start(self, text: str) -> None:
        """A maintainer's push of the campaign file to main (and the push webhook GitHub sends)."""
        self.started = time.monotonic()
        push_commit(self.fake, self.repo, "main", {CAMPAIGN_PATH: text}, "Add the migration campaign", HUMAN)

    # -- what GitHub says ----------------------------------------------------------------------------------
    def pulls_per_category(self) -> dict[str, int]:
        counts = {c: 0 for c in CATEGORIES}
        for pull in self.fake.pulls(self.repo):
            parsed = markers.parse_branch(pull.head)
            if parsed and parsed[0] == CAMPAIGN_ID and parsed[1] in counts and pull.user != CI_LOGIN:
                counts[parsed[1]] += 1
        return counts

    def bot_pulls(self) -> list[int]:
        return [p.number for p in self.fake.pulls(self.repo) if markers.parse_branch(p.head)]

    def finished(self) -> bool:
        merged = {markers.parse_branch(p.head)[1] for p in self.fake.pulls(self.repo)  # type: ignore[index]
                  if p.merged and markers.parse_branch(p.head)}
        if not set(CATEGORIES) <= merged:
            return False
        if self.finished_at is None:
            self.finished_at = time.monotonic()
        return True

    def leftover_references(self) -> int:
        """Deprecated imports still on main in the categories' folders (a lost bot commit leaves some)."""
        return _grep_count(self.fake.repo(self.repo).bare, DEPRECATED, list(CATEGORIES.values()))

    def lost_human_commits(self) -> list[str]:
        """Human commits whose file is neither on main nor on any branch any more."""
        git = self.fake.repo(self.repo).bare
        refs = list(bare.refs(git))
        lost = []
        for sha, path in self.human_commits.items():
            if not any(bare.read_blob(git, ref, path) is not None for ref in refs):
                lost.append(sha)
        return lost

    def overwritten_human_commits(self) -> list[str]:
        """Human commits that are no longer in their branch's history while that branch still exists."""
        git = self.fake.repo(self.repo).bare
        out = []
        for sha, path in self.human_commits.items():
            branch = path.split("/", 1)[0].replace("@", "/")
            tip = bare.rev_parse(git, f"refs/heads/{branch}")
            merged_in = bare.read_blob(git, "refs/heads/main", path) is not None
            if tip is not None and bare.merge_base(git, sha, tip) != sha and not merged_in:
                out.append(sha)
        return out

    def human_push(self, branch: str) -> str:
        """A person pushes a commit adding a file to the bot's `branch` (with the push and synchronize hooks)."""
        path = f"{branch.replace('/', '@')}/human-{len(self.human_commits)}.txt"
        sha = push_commit(self.fake, self.repo, branch, {path: "a person's work\n"}, "Human fix", HUMAN)
        self.human_commits[sha] = path
        return sha


def _grep_count(git: Path, needle: str, folders: list[str]) -> int:
    import subprocess

    proc = subprocess.run(["git", "--git-dir", str(git), "grep", "-c", "-F", needle, "refs/heads/main", "--",
                           *folders], capture_output=True, text=True)
    return sum(int(line.rsplit(":", 1)[1]) for line in proc.stdout.splitlines() if line.strip())


def push_commit(fake: FakeGitHub, repo: str, branch: str, files: dict[str, str | None], message: str,
                author: tuple[str, str]) -> str:
    """Commits `files` on `branch` of the bare repository and sends the webhooks a real push would."""
    with fake.lock:
        state = fake.repo(repo)
        before = bare.rev_parse(state.bare, f"refs/heads/{branch}")
        after = bare.commit_files(state.bare, branch, files, message, author)
        hooks.push(fake, state, f"refs/heads/{branch}", before, after, CI_LOGIN)
        if before and branch != state.default_branch:
            hooks.synchronize(fake, state, before, after, branch, CI_LOGIN)
    return after


class CI:
    """Turns the `ci` check green on every open PR head and every main head of the repositories it
    watches, through the fake's state and its check_run webhook (no REST call: the REST log is the bot's)."""

    def __init__(self, fake: FakeGitHub, delay_s: float = 0.3) -> None:
        self.fake, self.delay_s = fake, delay_s
        self.hold_s = 0.0  #: how long a new PR head waits for its green check (a slower CI)
        self.repos: set[str] = set()
        self._judged: set[tuple[str, str]] = set()
        self._seen: dict[tuple[str, str], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ci", daemon=True)

    def start(self) -> CI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.delay_s):
            for repo in list(self.repos):
                heads = [p.head_sha for p in self.fake.pulls(repo) if p.state == "open"]
                heads.append(self.fake.branch_sha(repo, "main") or "")
                now = time.monotonic()
                for sha in heads:
                    first = self._seen.setdefault((repo, sha), now)
                    if sha and (repo, sha) not in self._judged and now - first >= self.hold_s:
                        self._judged.add((repo, sha))
                        self._green(repo, sha)

    def _green(self, repo: str, sha: str) -> None:
        with self.fake.lock:
            run = self.fake.add_check_run(repo, sha, "ci", "completed", "success")
            hooks.check_run(self.fake, self.fake.repo(repo), run, CI_LOGIN)


def new_repo(fake: FakeGitHub, name: str, files: dict[str, str]) -> str:
    fake.create_repo(name, files)
    return name


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
