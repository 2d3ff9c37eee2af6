"""A campaign as the web pages show it: its categories with their PRs and totals, the timeline, the history.

Read like `migration-bot status` (the campaign file on the default branch, the bot's PRs, the dashboard
issue's hidden data), then shaped once for both the HTML page and its JSON twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import markers
from bot.campaign.spec import Campaign
from bot.forge.base import Forge, Permanent
from bot.rollout.dashboard import DashboardData, parse_data, pull_facts
from bot.rollout.state import DONE, CampaignState, campaign_state
from bot.status import find_campaign, read_campaigns


@dataclass(frozen=True)
class CategoryRow:
    name: str
    status: str  #: a CategoryStatus value
    pull: int | None
    pull_url: str | None
    pull_title: str | None
    revert: int | None  #: the revert PR, when the category was reverted
    files: int | None  #: totals read back from the PR's validation summary
    removed: int | None
    left: int | None
    summary: str  #: the PR body: the validation summary, in markdown ("" without a PR)


@dataclass(frozen=True)
class CampaignPage:
    repo: str
    campaign: Campaign
    state: CampaignState
    rows: tuple[CategoryRow, ...]  #: in rollout order
    data: DashboardData  #: history points and timeline, from the dashboard issue
    issue_url: str | None  #: the dashboard issue, when there is one

    @property
    def phase(self) -> str:
        return "finished" if self.state.finished else "paused" if self.state.paused else "in progress"

    @property
    def done(self) -> int:
        return sum(c.status in DONE for c in self.state.categories)

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo, "campaign": self.campaign.id, "title": self.campaign.title, "phase": self.phase,
            "done": self.done, "total": len(self.rows), "dashboard_issue": self.issue_url,
            "categories": [vars(row) for row in self.rows],
            "history": [{"at": p.at, "merged": p.merged, "left": p.left, "categories": dict(p.categories)}
                        for p in self.data.history],
            "timeline": [vars(e) for e in self.data.timeline],
        }

    def summary_json(self) -> dict[str, Any]:
        """What the repository list shows of a campaign."""
        last = self.data.history[-1].left if self.data.history else None
        return {"campaign": self.campaign.id, "title": self.campaign.title, "phase": self.phase,
                "done": self.done, "total": len(self.rows), "left": last}


def campaign_page(forge: Forge, repo: str, campaign_id: str, glob: str) -> CampaignPage:
    """Raises Permanent when the repository has no such campaign on its default branch."""
    if campaign_id.endswith((".yml", ".yaml")):  # a path would be accepted by find_campaign; ids only here
        raise Permanent(f"{repo}: no campaign {campaign_id!r}")
    return _page(forge, repo, find_campaign(forge, repo, campaign_id, glob))


def repo_campaigns(forge: Forge, repo: str, glob: str) -> list[CampaignPage]:
    """Every readable campaign of `repo`, in file order."""
    return [_page(forge, repo, campaign) for _, campaign in read_campaigns(forge, repo, glob)]


def _page(forge: Forge, repo: str, campaign: Campaign) -> CampaignPage:
    pulls = forge.list_pulls(repo, markers.campaign_branch_prefix(campaign.id))
    issue = forge.find_issue(repo, markers.dashboard_marker(campaign.id))
    data = parse_data(issue.body if issue else None)
    state = campaign_state(campaign, pulls, {name: 0 for name in data.empty})
    by_number = {p.number: p for p in pulls}
    rows = []
    for category in state.categories:
        pull = by_number.get(category.pull_number) if category.pull_number is not None else None
        facts = pull_facts(pull.body) if pull else None
        rows.append(CategoryRow(
            category.name, category.status.value, category.pull_number, pull.html_url if pull else None,
            pull.title if pull else None, category.revert_number, facts.files if facts else None,
            facts.removed if facts else None, facts.left if facts else None, pull.body if pull else ""))
    return CampaignPage(repo, campaign, state, tuple(rows), data, issue.html_url if issue else None)
