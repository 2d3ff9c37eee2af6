"""The CI-gated rollout as plain jobs: judge checks and act, move on after a close, revert, reconcile.

Every write is find-or-create (comment by marker, labels add-if-missing, close only if open, merge only
with the judged head), so a job run twice, or a webhook and the reconcile task acting on the same
thing, takes each action once. The campaign state is derived from GitHub on every run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import cast

from bot import markers
from bot.campaign.globs import glob_matches
from bot.campaign.load import CampaignError, parse_campaign
from bot.campaign.spec import Campaign
from bot.forge.base import Forge, Permanent, PullInfo, RepoInfo
from bot.rollout import actions as act
from bot.rollout.state import campaign_state, categories_to_start
from bot.rollout.verdict import Verdict, judge
from workers.contract import MIGRATE_CATEGORY, START_CAMPAIGN, Job
from workers.jobs import DEFAULTS, CampaignFile, JobConfig, Outcome, follow_up
from workers.jobs.dashboard import update_campaign_dashboard, update_dashboards
from workers.jobs.revert import open_revert
from workers.jobs.tick import TickReads, forget, remember_quiet, unchanged_since_quiet

log = logging.getLogger(__name__)

#: every bot branch, all campaigns
BOT_PREFIX = f"{markers.BRANCH_PREFIX}/"


@dataclass
class Context:
    """What one job run has read once and shares between the PRs it looks at."""

    forge: Forge
    repo: RepoInfo
    pulls: list[PullInfo]  #: every bot PR of the repository, any state
    config: JobConfig = DEFAULTS
    campaigns: dict[str, CampaignFile | None] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  #: what was done, "action #number", for logs and tests

    def campaign(self, campaign_id: str) -> CampaignFile | None:
        """The file of `campaign_id` on the default branch; None when it is gone or broken."""
        if not self.campaigns:
            self.campaigns.update(_read_campaigns(self.forge, self.repo, self.config.campaign_glob))
            self.campaigns.setdefault("", None)  # read once even when there are none
        return self.campaigns.get(campaign_id)

    def campaign_pulls(self, campaign_id: str) -> list[PullInfo]:
        prefix = markers.campaign_branch_prefix(campaign_id)
        return [p for p in self.pulls if p.head_ref.startswith(prefix)]

    def campaign_of(self, pull: PullInfo) -> CampaignFile | None:
        """The campaign whose branch `pull` is on; None for another branch or an unreadable campaign."""
        parsed = markers.parse_branch(pull.head_ref)
        return self.campaign(parsed[0]) if parsed else None


def make_context(forge: Forge, repo: str, config: JobConfig = DEFAULTS) -> Context:
    """Two reads shared by everything a job looks at: the repository and every bot PR in it."""
    info = forge.repo(repo)
    pulls = forge.list_pulls(repo, BOT_PREFIX, state="all")
    return Context(forge, info, pulls, config)


def _read_campaigns(forge: Forge, repo: RepoInfo, glob: str) -> dict[str, CampaignFile | None]:
    found: dict[str, CampaignFile | None] = {}
    directory = str(PurePosixPath(glob).parent)
    for path in forge.list_files(repo.full_name, directory, repo.default_branch):
        if not glob_matches(glob, path):
            continue
        text = forge.read_file(repo.full_name, path, repo.default_branch)
        try:
            campaign = parse_campaign(text or "", source=path)
        except CampaignError:
            log.warning("campaign file unreadable; its PRs are left alone", extra={"path": path})
            continue
        found[campaign.id] = CampaignFile(path, campaign)
    return found


def judge_checks(forge: Forge, repo: str, sha: str, config: JobConfig = DEFAULTS) -> list[str]:
    """Judge `sha` for each bot PR whose head it is, or whose merge commit on the default branch it is.

    Returns what was done ("close #3", ...), [] when nothing was due. Checks on a PR's older head
    are ignored (the PR head no longer equals `sha`). No follow-ups: merges are followed by the
    pull_request.closed webhook (or the reconcile task), so nothing is started twice.
    """
    ctx = make_context(forge, repo, config)
    _judge_sha(ctx, sha)
    if ctx.done:
        update_dashboards(forge, repo, ctx.campaigns)
    return ctx.done


def _judge_sha(ctx: Context, sha: str) -> None:
    for pull in ctx.pulls:
        if pull.state == "open" and pull.head_sha == sha:
            _judge_pull(ctx, pull, sha)
        elif pull.merged and pull.merge_commit_sha == sha:
            _judge_merge(ctx, pull, sha)


def _required(ctx: Context, branch: str, campaign: Campaign) -> tuple[str, ...] | None:
    """Branch protection first, then the campaign's list; None = every check that ran."""
    protected = ctx.forge.required_checks(ctx.repo.full_name, branch)
    return protected or campaign.rollout.required_checks or None


def _judge_pull(ctx: Context, pull: PullInfo, sha: str) -> None:
    file = ctx.campaign_of(pull)
    if file is None:
        return
    campaign = file.campaign
    repo = ctx.repo.full_name
    result = judge(ctx.forge.checks(repo, sha), sha, _required(ctx, pull.base_ref, campaign))
    if result.verdict is Verdict.PENDING and markers.LABEL_GREEN not in pull.labels:
        return
    state = campaign_state(campaign, ctx.campaign_pulls(campaign.id), {})
    fresh = ctx.forge.get_pull(repo, pull.number)  # re-read right before acting
    _execute(ctx, fresh, act.pull_actions(state, result, campaign.rollout, fresh, sha))


def _judge_merge(ctx: Context, pull: PullInfo, sha: str) -> None:
    file = ctx.campaign_of(pull)
    if file is None or act.is_revert(pull):
        return
    required = _required(ctx, ctx.repo.default_branch, file.campaign)
    result = judge(ctx.forge.checks(ctx.repo.full_name, sha), sha, required)
    _execute(ctx, pull, act.main_actions(result, pull, sha))


def _execute(ctx: Context, pull: PullInfo, actions: Sequence[act.Action]) -> None:
    """Runs `actions` in their order (comment -> label -> close/merge), each a find-or-create write."""
    forge, repo, number = ctx.forge, ctx.repo.full_name, pull.number
    for action in actions:
        if isinstance(action, act.Comment):
            forge.upsert_comment(repo, number, markers.comment_marker(action.concern), action.body)
        elif isinstance(action, act.AddLabels):
            forge.add_labels(repo, number, action.labels)
        elif isinstance(action, act.RemoveLabel):
            forge.remove_label(repo, number, action.label)
        elif isinstance(action, act.Close):  # `pull` was re-read just before deciding
            forge.edit_pull(repo, number, state="closed")
        elif isinstance(action, act.Merge):
            if not _merge(ctx, pull, action):
                continue
        elif isinstance(action, act.OpenRevert):
            revert = open_revert(forge, ctx.repo, pull, action, ctx.config.workdir)
            if revert is None:
                continue
            comment = act.revert_comment(action.merge_sha, action.failing, revert.html_url)
            forge.upsert_comment(repo, number, markers.comment_marker(comment.concern), comment.body)
        ctx.done.append(f"{type(action).__name__.lower()} #{number}")
        log.info("rollout action", extra={"repo": repo, "pull": number, "action": repr(action)[:200]})


def _merge(ctx: Context, pull: PullInfo, action: act.Merge) -> bool:
    """Merges with the judged head; GitHub refusing (head moved, reviews missing) is logged, not raised:
    the next event (push, approval) or the reconcile task judges again."""
    try:
        ctx.forge.merge_pull(ctx.repo.full_name, pull.number, sha=action.sha, method=action.method,
                             title=action.title)
    except Permanent as error:
        log.info("merge refused", extra={"repo": ctx.repo.full_name, "pull": pull.number, "reason": str(error)})
        return False
    return True


def pull_closed(forge: Forge, repo: str, number: int, config: JobConfig = DEFAULTS) -> Outcome[list[str]]:
    """A bot PR closed: start what the rollout allows now, regenerate other open PRs on the new base.

    The follow-ups are those tasks (their names are the result); none when the PR is open again, not a
    campaign's, or nothing is due.
    """
    ctx = make_context(forge, repo, config)
    pull = forge.get_pull(repo, number)
    file = ctx.campaign_of(pull)
    if pull.state == "open" or file is None:
        return Outcome([])
    due = _follow_ups(ctx, file, pull)
    update_campaign_dashboard(forge, repo, file.campaign)
    return Outcome([job.task for job in due], tuple(due))


def _follow_ups(ctx: Context, file: CampaignFile, closed: PullInfo | None) -> list[Job]:
    """START_CAMPAIGN when a category may start; after a category merge, MIGRATE_CATEGORY for the others
    (the worker regenerates them on the new base and refuses when a human committed to the branch)."""
    campaign, repo = file.campaign, ctx.repo.full_name
    state = campaign_state(campaign, ctx.campaign_pulls(campaign.id), {})
    base = closed.merge_commit_sha if closed is not None and closed.merged and not act.is_revert(closed) else None
    due: list[Job] = []
    for other in ctx.campaign_pulls(campaign.id) if base else ():
        marker = markers.parse_marker(other.body)
        if other.state == "open" and marker and marker.kind == "pull" and marker.base_sha != base:
            due.append(follow_up(MIGRATE_CATEGORY, repo=repo, sha=base, campaign_path=file.path,
                                 category=marker.category))
    if categories_to_start(campaign, state):
        # planning (which categories are empty) needs a clone: start_campaign does it on the worker
        due.append(follow_up(START_CAMPAIGN, repo=repo, sha=base or ctx.repo.default_branch, path=file.path))
    return due


def reconcile_repo(forge: Forge, repo: str, config: JobConfig = DEFAULTS) -> Outcome[list[str]]:
    """Does for one repository what missed webhooks would have done: judge every open bot PR, judge the
    merge commit of each campaign's latest merged category, start what may start. Idempotent.

    Everything a verdict depends on is read first; when those reads (conditional, on GitHub) bring
    nothing new since a tick that did nothing, nothing is done and nothing follows: an idle campaign
    costs only 304s, which GitHub does not count against the rate limit.
    """
    tick = TickReads(forge)
    ctx = make_context(cast(Forge, tick), repo, config)
    active = sorted(_active(ctx).items())
    for campaign_id, _ in active:
        _read_verdict_inputs(ctx, *_to_judge(ctx, campaign_id))
    if unchanged_since_quiet(forge, repo):
        log.debug("reconcile: nothing changed", extra={"repo": repo})
        return Outcome([])
    forget(forge, repo)
    due: list[Job] = []
    for campaign_id, file in active:
        open_pulls, latest = _to_judge(ctx, campaign_id)
        for pull in open_pulls:
            _judge_pull(ctx, pull, pull.head_sha)
        if latest is not None:
            _judge_merge(ctx, latest, latest.merge_commit_sha or "")
        ctx.pulls = forge.list_pulls(repo, BOT_PREFIX, state="all") if ctx.done else ctx.pulls
        for job in _follow_ups(ctx, file, None):
            due.append(job)
            ctx.done.append(f"start {campaign_id}")
    if not ctx.done and not tick.wrote:
        remember_quiet(forge, repo)
    if ctx.done:
        update_dashboards(forge, repo, dict(active))
    return Outcome(ctx.done, tuple(due))


def _to_judge(ctx: Context, campaign_id: str) -> tuple[list[PullInfo], PullInfo | None]:
    """The campaign's open PRs, and its latest merged category PR (whose merge commit may break main)."""
    pulls = ctx.campaign_pulls(campaign_id)
    merged = [p for p in pulls if p.merged and p.merge_commit_sha and not act.is_revert(p)]
    return [p for p in pulls if p.state == "open"], max(merged, key=lambda p: p.number, default=None)


def _read_verdict_inputs(ctx: Context, open_pulls: list[PullInfo], latest: PullInfo | None) -> None:
    """Reads what `_judge_pull` and `_judge_merge` will judge on; `ctx.forge` (a TickReads) keeps it."""
    repo = ctx.repo.full_name
    for pull in open_pulls:
        ctx.forge.required_checks(repo, pull.base_ref)
        ctx.forge.checks(repo, pull.head_sha)
    if latest is not None and latest.merge_commit_sha:
        ctx.forge.required_checks(repo, ctx.repo.default_branch)
        ctx.forge.checks(repo, latest.merge_commit_sha)


def _active(ctx: Context) -> dict[str, CampaignFile]:
    """Campaigns with a file on the default branch that are not finished."""
    ctx.campaign("")
    active = {}
    for campaign_id, file in ctx.campaigns.items():
        if file is None:
            continue
        state = campaign_state(file.campaign, ctx.campaign_pulls(campaign_id), {})
        if not state.finished:
            active[campaign_id] = file
    return active
