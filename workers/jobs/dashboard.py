"""The campaign dashboard job: find-or-create the campaign's issue and edit it only when its text changes.

Called last by the jobs that change a campaign's state (a PR published, judged, closed, reconciled), so
a dashboard failure never undoes or blocks the PR work; its errors surface as the caller's do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot import markers
from bot.campaign.spec import Campaign
from bot.forge.base import Forge, IssueInfo
from bot.rollout.dashboard import parse_data, render_dashboard
from bot.rollout.state import campaign_state
from workers.change import load_campaign_text
from workers.jobs import CampaignFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DashboardUpdate:
    number: int
    action: str  #: "created" | "edited" | "unchanged"
    finished: bool
    paused: bool


def update_dashboard(forge: Forge, repo: str, campaign_path: str, sha: str | None = None, *,
                     planned: Mapping[str, int] | None = None, now: str | None = None) -> DashboardUpdate:
    """Renders the dashboard of the campaign at `campaign_path` (read at `sha`, else the default branch).

    `planned` (category -> files it would change, from a clone) records the empty categories in the
    dashboard's own memory, since later runs cannot plan. Idempotent: an identical body is not re-sent.
    """
    ref = sha or forge.repo(repo).default_branch
    campaign = load_campaign_text(forge.read_file(repo, campaign_path, ref), campaign_path)
    return update_campaign_dashboard(forge, repo, campaign, planned=planned, now=now)


def update_campaign_dashboard(forge: Forge, repo: str, campaign: Campaign, *,
                              planned: Mapping[str, int] | None = None, now: str | None = None) -> DashboardUpdate:
    """`update_dashboard` for a campaign already read."""
    pulls = forge.list_pulls(repo, markers.campaign_branch_prefix(campaign.id))
    existing = forge.find_issue(repo, markers.dashboard_marker(campaign.id))
    data = parse_data(existing.body if existing else None)
    empty = set(data.empty)
    for name, files in (planned or {}).items():
        (empty.add if files == 0 else empty.discard)(name)
    data = replace(data, empty=tuple(sorted(empty)))
    state = campaign_state(campaign, pulls, {name: 0 for name in data.empty})
    stamp = now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    dashboard = render_dashboard(campaign, state, pulls, data, stamp)
    issue, action = _write(forge, repo, existing, dashboard.title, dashboard.body, dashboard.state)
    log.info("dashboard", extra={"repo": repo, "campaign": campaign.id, "issue": issue.number, "action": action})
    return DashboardUpdate(issue.number, action, state.finished, state.paused)


def _write(forge: Forge, repo: str, existing: IssueInfo | None, title: str, body: str,
           state: str) -> tuple[IssueInfo, str]:
    if existing is None:
        issue = forge.open_issue(repo, title, body, [markers.LABEL_BOT])
        if state != issue.state:
            issue = forge.edit_issue(repo, issue.number, state=state)
        return issue, "created"
    changes = {k: v for k, v, old in (("title", title, existing.title), ("body", body, existing.body),
                                      ("state", state, existing.state)) if v != old}
    if not changes:
        return existing, "unchanged"
    return forge.edit_issue(repo, existing.number, **changes), "edited"


def update_dashboards(forge: Forge, repo: str, campaigns: Mapping[str, CampaignFile | None]) -> None:
    """Every campaign already read by a rollout job (id -> its file, or None when unreadable)."""
    for file in campaigns.values():
        if file is not None:
            update_campaign_dashboard(forge, repo, file.campaign)
