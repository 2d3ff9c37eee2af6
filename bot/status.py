"""`migration-bot status`: a campaign's state read from GitHub (or the demo's local forge), as text or JSON."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bot import markers
from bot.campaign.globs import glob_matches
from bot.campaign.load import CampaignError, parse_campaign
from bot.campaign.spec import Campaign
from bot.forge.base import Forge, Permanent
from bot.rollout.dashboard import parse_data
from bot.rollout.state import CampaignState, campaign_state

DEFAULT_GLOB = ".github/migrations/*.yml"


@dataclass(frozen=True)
class CampaignStatus:
    campaign: Campaign
    state: CampaignState
    dashboard: int | None  #: the dashboard issue's number, when there is one

    def to_json(self) -> dict[str, Any]:
        return {"campaign": self.campaign.id, "paused": self.state.paused, "finished": self.state.finished,
                "categories": [{"name": c.name, "status": c.status.value, "pull": c.pull_number}
                               for c in self.state.categories]}

    def to_text(self) -> str:
        head = "finished" if self.state.finished else "paused" if self.state.paused else "in progress"
        lines = [f"Campaign {self.campaign.id} ({self.campaign.title}): {head}"]
        if self.dashboard is not None:
            lines.append(f"Dashboard: issue #{self.dashboard}")
        width = max((len(c.name) for c in self.state.categories), default=0)
        for c in self.state.categories:
            pull = f"#{c.pull_number}" if c.pull_number is not None else "-"
            revert = f" (revert #{c.revert_number})" if c.revert_number is not None else ""
            lines.append(f"  {c.name:<{width}}  {c.status.value:<8}  {pull}{revert}")
        return "\n".join(lines)


def find_campaign(forge: Forge, repo: str, wanted: str, glob: str = DEFAULT_GLOB) -> Campaign:
    """`wanted` is a campaign id or the path of its file; read on the default branch. Permanent when absent."""
    branch = forge.repo(repo).default_branch
    paths = [wanted] if wanted.endswith((".yml", ".yaml")) else None
    for path, campaign in read_campaigns(forge, repo, glob, branch, paths):
        if campaign.id == wanted or path == wanted:
            return campaign
    raise Permanent(f"{repo}: no campaign {wanted!r} on {branch}")


def read_campaigns(forge: Forge, repo: str, glob: str = DEFAULT_GLOB, branch: str | None = None,
                   paths: list[str] | None = None) -> list[tuple[str, Campaign]]:
    """(path, campaign) of every readable campaign file matching `glob` (or of `paths`) on `branch` (default:
    the default branch); files that are missing or do not parse are left out (`check` reports them)."""
    branch = branch or forge.repo(repo).default_branch
    if paths is None:
        directory = str(PurePosixPath(glob).parent)
        paths = [p for p in forge.list_files(repo, directory, branch) if glob_matches(glob, p)]
    found = []
    for path in paths:
        text = forge.read_file(repo, path, branch)
        if text is None:
            continue
        try:
            found.append((path, parse_campaign(text, source=path)))
        except CampaignError:
            continue
    return found


def read_status(forge: Forge, repo: str, wanted: str, glob: str = DEFAULT_GLOB) -> CampaignStatus:
    """The state from the campaign's PRs; categories planned empty come from the dashboard's memory."""
    campaign = find_campaign(forge, repo, wanted, glob)
    pulls = forge.list_pulls(repo, markers.campaign_branch_prefix(campaign.id))
    issue = forge.find_issue(repo, markers.dashboard_marker(campaign.id))
    empty = parse_data(issue.body if issue else None).empty
    state = campaign_state(campaign, pulls, {name: 0 for name in empty})
    return CampaignStatus(campaign, state, issue.number if issue else None)


def status_forge(local: str | None) -> Forge:
    """LocalForge over `local` (the demo's folder), else GitHub with the token and API URL from the environment."""
    if local is not None:
        from bot.forge.local import LocalForge

        return LocalForge(local)
    from bot.forge.github import GitHubForge
    from bot.settings import Settings

    settings = Settings.from_env()
    settings.require_github_auth()
    return GitHubForge(settings, None)
