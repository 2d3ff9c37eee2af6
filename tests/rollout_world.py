"""A repository on the fake GitHub with a campaign and bot PRs, for the rollout tests (jobs and webhooks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot import markers
from bot.forge.github import GitHubForge
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.fixtures import PAT
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import BOT_LOGIN, Pull
from workers.jobs import Outcome

T = TypeVar("T")

REPO = "octo/app"
CAMPAIGN_PATH = ".github/migrations/mig.yml"
BOT_AUTHOR = ("migration-bot[bot]", markers.BOT_EMAIL)
CAMPAIGN = """\
campaign: mig
title: Mig
rules:
  - move: old.mod.Engine
    to: new.mod.Engine
categories:
  - {{name: core, priority: 0, paths: ["core/**/*.py"]}}
  - {{name: api, priority: 1, paths: ["api/**/*.py"]}}
  - {{name: web, priority: 2, paths: ["web/**/*.py"]}}
rollout: {rollout}
"""


def campaign_text(**rollout: Any) -> str:
    fields = {"order": "sequential", "required_checks": ["ci"], **rollout}
    inner = ", ".join(f"{k}: {_yaml(v)}" for k, v in fields.items())
    return CAMPAIGN.format(rollout="{" + inner + "}")


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)


@dataclass
class World:
    fake: FakeGitHub
    forge: GitHubForge
    enqueued: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def follow(self, outcome: Outcome[T]) -> T:
        """The job's result; its follow-ups are recorded in `enqueued`, as the task would send them."""
        self.enqueued += [(job.task, dict(job.kwargs)) for job in outcome.follow_ups]
        return outcome.result

    @property
    def bare(self) -> Any:
        return self.fake.repo(REPO).bare

    def main(self) -> str:
        sha = self.fake.branch_sha(REPO, "main")
        assert sha
        return sha

    def open_bot_pull(self, category: str, files: dict[str, str] | None = None) -> Pull:
        """The bot's branch for `category` (one bot commit on main) and its PR with the marker and labels."""
        base = self.main()
        branch = markers.branch_name("mig", category)
        bare.update_ref(self.bare, f"refs/heads/{branch}", base)
        bare.commit_files(self.bare, branch, files or {f"{category}/mod.py": "import new.mod\n"},
                          f"[migration] Mig: {category}", BOT_AUTHOR)
        body = "summary\n\n" + markers.render_marker(markers.PullMarker("mig", category, base))
        pull = self.fake.open_pull(REPO, branch, "main", f"[migration] Mig: {category}", body, BOT_LOGIN)
        with self.fake.lock:
            pull.labels += [markers.LABEL_BOT, markers.campaign_label("mig")]
        return pull

    def check(self, sha: str, conclusion: str | None, name: str = "ci") -> None:
        status = "completed" if conclusion else "in_progress"
        self.fake.add_check_run(REPO, sha, name, status, conclusion)

    def pull(self, number: int) -> Pull:
        return self.fake.pull(REPO, number)

    def comments(self, number: int) -> list[str]:
        return [c.body for c in self.fake.comments(REPO, number)]


def make_world(fake: FakeGitHub, **rollout: Any) -> World:
    files = {CAMPAIGN_PATH: campaign_text(**rollout), "core/mod.py": "import old.mod\n",
             "api/mod.py": "import old.mod\n", "web/mod.py": "import old.mod\n"}
    fake.create_repo(REPO, files)
    forge = GitHubForge(Settings(token=PAT, api_url=fake.api_url), None)
    return World(fake, forge)
