"""The campaign dashboard job: find-or-create the campaign's issue and edit it only when its text changes.

Called last by the jobs that change a campaign's state (a PR published, judged, closed, reconciled), so
a dashboard failure never undoes or blocks the PR work; its errors surface as the caller's do. The
issue's hidden data also holds what steers the campaign (paused by whom, when each PR opened), so the
gates the rollout asks here (`starts_allowed_now`, `merges_allowed_now`) read GitHub, not Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot import markers
from bot.campaign.load import CampaignError, campaign_id_hint
from bot.campaign.spec import Campaign
from bot.forge.base import Forge, IssueInfo, PullInfo
from bot.rollout.dashboard import (
    DashboardData,
    parse_data,
    render_action_required,
    render_dashboard,
    with_opened,
)
from bot.rollout.schedule import in_window, starts_allowed
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
    html_url: str = ""


def update_dashboard(forge: Forge, repo: str, campaign_path: str, sha: str | None = None, *,
                     planned: Mapping[str, int] | None = None, now: str | None = None) -> DashboardUpdate:
    """Renders the dashboard of the campaign at `campaign_path` (read at `sha`, else the default branch).

    `planned` (category -> files it would change, from a clone) records the empty categories in the
    dashboard's own memory, since later runs cannot plan. Idempotent: an identical body is not re-sent.
    """
    ref = sha or forge.repo(repo).default_branch
    campaign = load_campaign_text(forge.read_file(repo, campaign_path, ref), campaign_path)
    return update_campaign_dashboard(forge, repo, campaign, planned=planned, now=now)


#: `update_campaign_dashboard(paused_by=KEEP)` leaves the pause as it is; `existing=UNREAD` reads the issue
KEEP = object()
UNREAD = object()


def update_campaign_dashboard(forge: Forge, repo: str, campaign: Campaign, *,
                              planned: Mapping[str, int] | None = None, now: str | None = None,
                              paused_by: object = KEEP, issue: int | None = None,
                              carried_data: str | None = None, pulls: Sequence[PullInfo] | None = None,
                              existing: IssueInfo | None | object = UNREAD,
                              stopped: str | None = None) -> DashboardUpdate:
    """`update_dashboard` for a campaign already read; `stopped` says why it is stopped (see render_dashboard).

    `paused_by` (a login, or None to resume) changes the pause. `issue` is the dashboard's number when
    its marker may have been edited away (the body is then restored into that issue, not a new one), and
    `carried_data` the hidden data of its previous body, used when the current body lost it. `pulls` (the
    campaign's PRs) and `existing` (its dashboard, None: none) save those reads when the caller has them.
    """
    if pulls is None:
        pulls = forge.list_pulls(repo, markers.campaign_branch_prefix(campaign.id, campaign.pulls.branch_prefix))
    if existing is UNREAD:
        existing = forge.find_issue(repo, markers.dashboard_marker(campaign.id))
    assert existing is None or isinstance(existing, IssueInfo)
    data = parse_data(existing.body if existing else None)
    if data == DashboardData() and carried_data:
        data = parse_data(carried_data)
    empty = set(data.empty)
    for name, files in (planned or {}).items():
        (empty.add if files == 0 else empty.discard)(name)
    stamp = now or _now()
    data = with_opened(replace(data, empty=tuple(sorted(empty))), pulls, stamp)
    if paused_by is not KEEP:
        data = replace(data, paused_by=None if paused_by is None else str(paused_by))
    state = campaign_state(campaign, pulls, {name: 0 for name in data.empty})
    dashboard = render_dashboard(campaign, state, pulls, data, stamp, stopped)
    if existing is None and issue is not None:
        restored = forge.edit_issue(repo, issue, title=dashboard.title, body=dashboard.body, state=dashboard.state)
        return DashboardUpdate(restored.number, "restored", state.finished, state.paused)
    written, action = _write(forge, repo, existing, dashboard.title, dashboard.body, dashboard.state)
    log.info("dashboard", extra={"repo": repo, "campaign": campaign.id, "issue": written.number,
                                 "action": action})
    return DashboardUpdate(written.number, action, state.finished, state.paused, written.html_url)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dashboard_data(forge: Forge, repo: str, campaign_id: str) -> DashboardData:
    """What the campaign's dashboard remembers (empty when there is no dashboard yet)."""
    existing = forge.find_issue(repo, markers.dashboard_marker(campaign_id))
    return parse_data(existing.body if existing else None)


def dashboard_number(forge: Forge, repo: str, campaign: Campaign, pulls: Sequence[PullInfo] | None = None) -> int:
    """The dashboard issue's number, creating the issue first when there is none yet."""
    existing = forge.find_issue(repo, markers.dashboard_marker(campaign.id))
    if existing is not None:
        return existing.number
    return update_campaign_dashboard(forge, repo, campaign, pulls=pulls, existing=None).number


@dataclass(frozen=True)
class Starts:
    due: list[str]  #: the categories that may start now
    dashboard: int | None  #: the dashboard's number (read or created), for the PRs to link; None: not read
    created: bool = False  #: the dashboard was created just now, with `planned` recorded


def starts_allowed_now(forge: Forge, repo: str, campaign: Campaign, due: Sequence[str],
                       pulls: Sequence[PullInfo], planned: Mapping[str, int] | None = None,
                       now: datetime | None = None) -> Starts:
    """`due` cut down by the campaign's pause, schedule window and daily cap (first ones first).

    Reads the dashboard only when something is due, and creates it then (with `pulls`, the campaign's PRs
    and `planned`), so the PRs about to open can link to it without another read.
    """
    if not due:
        return Starts([], None)
    existing = forge.find_issue(repo, markers.dashboard_marker(campaign.id))
    if existing is None:
        number, data = update_campaign_dashboard(forge, repo, campaign, planned=planned, pulls=pulls,
                                                 existing=None).number, DashboardData()
    else:
        number, data = existing.number, parse_data(existing.body)
    if data.paused_by:
        return Starts([], number, existing is None)
    allowed = starts_allowed(campaign.rollout, (at for _, at in data.opened), now or datetime.now(UTC))
    return Starts(list(due) if allowed is None else list(due)[:allowed], number, existing is None)


def merges_allowed_now(forge: Forge, repo: str, campaign: Campaign, now: datetime | None = None) -> bool:
    """Whether the bot may merge a pull request of `campaign` now: not paused, inside the schedule window."""
    if not in_window(campaign.rollout.schedule, now or datetime.now(UTC)):
        return False
    return dashboard_data(forge, repo, campaign.id).paused_by is None


def report_broken_campaign(forge: Forge, repo: str, path: str, text: str, error: CampaignError) -> DashboardUpdate:
    """The dashboard of the campaign `path` means says "Action required" with every problem; idempotent.

    The campaign id comes from the file's `campaign:` line (else its name), so the dashboard of a campaign
    that ran before is the one that turns into the message, and its memory (history) is kept.
    """
    campaign_id = campaign_id_hint(text, path)
    existing = forge.find_issue(repo, markers.dashboard_marker(campaign_id))
    title = existing.title if existing else f"Migration dashboard: {path}"
    dashboard = render_action_required(campaign_id, path, [str(p) for p in error.problems],
                                       parse_data(existing.body if existing else None), title)
    issue, action = _write(forge, repo, existing, dashboard.title, dashboard.body, dashboard.state)
    log.warning("campaign needs a fix", extra={"repo": repo, "path": path, "issue": issue.number, "action": action,
                                               "problems": len(error.problems)})
    return DashboardUpdate(issue.number, action, finished=False, paused=False)


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
