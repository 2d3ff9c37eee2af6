"""The CI-gated rollout as plain jobs: judge checks and act, move on after a close, revert, reconcile.

Every write is find-or-create (comment by marker, labels add-if-missing, close only if open, merge only
with the judged head), so a job run twice, or a webhook and the reconcile task acting on the same
thing, takes each action once. The campaign state is derived from GitHub on every run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, cast

from bot import markers
from bot.campaign.globs import glob_matches
from bot.campaign.load import CampaignError, parse_campaign
from bot.campaign.spec import Campaign
from bot.forge.base import Forge, Permanent, PullInfo, RepoInfo
from bot.rollout import actions as act
from bot.rollout.state import campaign_state, categories_to_start
from bot.rollout.verdict import Verdict, judge
from bot.settings import Settings
from workers.contract import MIGRATE_CATEGORY, START_CAMPAIGN
from workers.dashboard_jobs import update_campaign_dashboard, update_dashboards
from workers.jobs import Enqueue
from workers.rollout_revert import open_revert
from workers.rollout_tick import TickReads, forget, remember_quiet, unchanged_since_quiet

log = logging.getLogger(__name__)

#: every bot branch, all campaigns
BOT_PREFIX = f"{markers.BRANCH_PREFIX}/"
DEFAULT_CAMPAIGN_GLOB = Settings.campaign_glob
#: (task name, kwargs) enqueued after a close; the task adds the installation id
FollowUp = tuple[str, dict[str, Any]]


@dataclass
class Context:
    """What one job run has read once and shares between the PRs it looks at."""

    forge: Forge
    repo: RepoInfo
    pulls: list[PullInfo]  #: every bot PR of the repository, any state
    campaign_glob: str = DEFAULT_CAMPAIGN_GLOB
    campaigns: dict[str, tuple[str, Campaign] | None] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  #: what was done, "action #number", for logs and tests

    def campaign(self, campaign_id: str) -> tuple[str, Campaign] | None:
        """(path, campaign) of `campaign_id` on the default branch; None when its file is gone or broken."""
        if not self.campaigns:
            self.campaigns.update(_read_campaigns(self.forge, self.repo, self.campaign_glob))
            self.campaigns.setdefault("", None)  # read once even when there are none
        return self.campaigns.get(campaign_id)

    def campaign_pulls(self, campaign_id: str) -> list[PullInfo]:
        prefix = markers.campaign_branch_prefix(campaign_id)
        return [p for p in self.pulls if p.head_ref.startswith(prefix)]


def make_context(forge: Forge, repo: str, *, campaign_glob: str = DEFAULT_CAMPAIGN_GLOB) -> Context:
    """Two reads shared by everything a job looks at: the repository and every bot PR in it."""
    info = forge.repo(repo)
    pulls = forge.list_pulls(repo, BOT_PREFIX, state="all")
    return Context(forge, info, pulls, campaign_glob)


def _read_campaigns(forge: Forge, repo: RepoInfo, glob: str) -> dict[str, tuple[str, Campaign] | None]:
    found: dict[str, tuple[str, Campaign] | None] = {}
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
        found[campaign.id] = (path, campaign)
    return found


def judge_checks(forge: Forge, repo: str, sha: str, *, enqueue: Enqueue, workdir: str | Path | None = None,
                 campaign_glob: str = DEFAULT_CAMPAIGN_GLOB) -> list[str]:
    """Judge `sha` for each bot PR whose head it is, or whose merge commit on the default branch it is.

    Returns what was done ("close #3", ...), [] when nothing was due. Checks on a PR's older head
    are ignored (the PR head no longer equals `sha`). `enqueue` is unused today: merges are followed
    by the pull_request.closed webhook (or the reconcile task), so nothing is started twice.
    """
    ctx = make_context(forge, repo, campaign_glob=campaign_glob)
    _judge_sha(ctx, sha, workdir)
    if ctx.done:
        update_dashboards(forge, repo, ctx.campaigns)
    return ctx.done


def _judge_sha(ctx: Context, sha: str, workdir: str | Path | None) -> None:
    for pull in ctx.pulls:
        if pull.state == "open" and pull.head_sha == sha:
            _judge_pull(ctx, pull, sha)
        elif pull.merged and pull.merge_commit_sha == sha:
            _judge_merge(ctx, pull, sha, workdir)


def _required(ctx: Context, branch: str, campaign: Campaign) -> tuple[str, ...] | None:
    """Branch protection first, then the campaign's list; None = every check that ran."""
    protected = ctx.forge.required_checks(ctx.repo.full_name, branch)
    return protected or campaign.rollout.required_checks or None


def _judge_pull(ctx: Context, pull: PullInfo, sha: str) -> None:
    parsed = markers.parse_branch(pull.head_ref)
    found = ctx.campaign(parsed[0]) if parsed else None
    if found is None:
        return
    campaign = found[1]
    repo = ctx.repo.full_name
    result = judge(ctx.forge.checks(repo, sha), sha, _required(ctx, pull.base_ref, campaign))
    if result.verdict is Verdict.PENDING and markers.LABEL_GREEN not in pull.labels:
        return
    state = campaign_state(campaign, ctx.campaign_pulls(campaign.id), {})
    fresh = ctx.forge.get_pull(repo, pull.number)  # re-read right before acting
    _execute(ctx, fresh, act.pull_actions(state, result, campaign.rollout, fresh, sha))


def _judge_merge(ctx: Context, pull: PullInfo, sha: str, workdir: str | Path | None) -> None:
    parsed = markers.parse_branch(pull.head_ref)
    found = ctx.campaign(parsed[0]) if parsed else None
    if found is None or act.is_revert(pull):
        return
    campaign = found[1]
    required = _required(ctx, ctx.repo.default_branch, campaign)
    result = judge(ctx.forge.checks(ctx.repo.full_name, sha), sha, required)
    _execute(ctx, pull, act.main_actions(result, pull, sha), workdir)


def _execute(ctx: Context, pull: PullInfo, actions: Sequence[act.Action], workdir: str | Path | None = None) -> None:
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
            revert = open_revert(forge, ctx.repo, pull, action, workdir)
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


def pull_closed(forge: Forge, repo: str, number: int, *, enqueue: Enqueue,
                campaign_glob: str = DEFAULT_CAMPAIGN_GLOB) -> list[FollowUp]:
    """A bot PR closed: start what the rollout allows now, regenerate other open PRs on the new base.

    Returns what was enqueued; [] when the PR is open again, not a campaign's, or nothing is due.
    """
    ctx = make_context(forge, repo, campaign_glob=campaign_glob)
    pull = forge.get_pull(repo, number)
    parsed = markers.parse_branch(pull.head_ref)
    found = ctx.campaign(parsed[0]) if parsed else None
    if pull.state == "open" or found is None:
        return []
    due = _follow_up(ctx, found, pull)
    for task, kwargs in due:
        enqueue(task, kwargs)
    update_campaign_dashboard(forge, repo, found[1])
    return due


def _follow_up(ctx: Context, found: tuple[str, Campaign], closed: PullInfo | None) -> list[FollowUp]:
    """START_CAMPAIGN when a category may start; after a category merge, MIGRATE_CATEGORY for the others
    (the worker regenerates them on the new base and refuses when a human committed to the branch)."""
    path, campaign = found
    state = campaign_state(campaign, ctx.campaign_pulls(campaign.id), {})
    base = closed.merge_commit_sha if closed is not None and closed.merged and not act.is_revert(closed) else None
    due: list[FollowUp] = []
    for other in ctx.campaign_pulls(campaign.id) if base else ():
        marker = markers.parse_marker(other.body)
        if other.state == "open" and marker and marker.kind == "pull" and marker.base_sha != base:
            due.append((MIGRATE_CATEGORY, {"repo": ctx.repo.full_name, "sha": base, "campaign_path": path,
                                           "category": marker.category}))
    if categories_to_start(campaign, state):
        # planning (which categories are empty) needs a clone: start_campaign does it on the worker
        due.append((START_CAMPAIGN, {"repo": ctx.repo.full_name, "sha": base or ctx.repo.default_branch,
                                     "path": path}))
    return due


def reconcile_repo(forge: Forge, repo: str, *, enqueue: Enqueue, workdir: str | Path | None = None,
                   campaign_glob: str = DEFAULT_CAMPAIGN_GLOB) -> list[str]:
    """Does for one repository what missed webhooks would have done: judge every open bot PR, judge the
    merge commit of each campaign's latest merged category, start what may start. Idempotent.

    Everything a verdict depends on is read first; when those reads (conditional, on GitHub) bring
    nothing new since a tick that did nothing, [] comes back without judging: an idle campaign costs
    only 304s, which GitHub does not count against the rate limit.
    """
    tick = TickReads(forge)
    ctx = make_context(cast(Forge, tick), repo, campaign_glob=campaign_glob)
    active = sorted(_active(ctx).items())
    for campaign_id, _ in active:
        _read_verdict_inputs(ctx, *_to_judge(ctx, campaign_id))
    if unchanged_since_quiet(forge, repo):
        log.debug("reconcile: nothing changed", extra={"repo": repo})
        return []
    forget(forge, repo)
    for campaign_id, found in active:
        open_pulls, latest = _to_judge(ctx, campaign_id)
        for pull in open_pulls:
            _judge_pull(ctx, pull, pull.head_sha)
        if latest is not None:
            _judge_merge(ctx, latest, latest.merge_commit_sha or "", workdir)
        ctx.pulls = forge.list_pulls(repo, BOT_PREFIX, state="all") if ctx.done else ctx.pulls
        for task, kwargs in _follow_up(ctx, found, None):
            enqueue(task, kwargs)
            ctx.done.append(f"start {campaign_id}")
    if not ctx.done and not tick.wrote:
        remember_quiet(forge, repo)
    if ctx.done:
        update_dashboards(forge, repo, dict(active))
    return ctx.done


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


def _active(ctx: Context) -> dict[str, tuple[str, Campaign]]:
    """Campaigns with a file on the default branch that are not finished."""
    ctx.campaign("")
    active = {}
    for campaign_id, found in ctx.campaigns.items():
        if found is None:
            continue
        state = campaign_state(found[1], ctx.campaign_pulls(campaign_id), {})
        if not state.finished:
            active[campaign_id] = found
    return active


def reconcile_campaigns(forge_factory: Callable[[int | None], Forge], repos: Iterable[tuple[str, int | None]],
                        *, enqueue_for: Callable[[int | None], Enqueue], workdir: str | Path | None = None,
                        campaign_glob: str = DEFAULT_CAMPAIGN_GLOB) -> dict[str, list[str]]:
    """Reconciles each (repo, installation id); a repository GitHub refuses does not stop the others."""
    done: dict[str, list[str]] = {}
    for repo, installation_id in repos:
        try:
            done[repo] = reconcile_repo(forge_factory(installation_id), repo,
                                        enqueue=enqueue_for(installation_id), workdir=workdir,
                                        campaign_glob=campaign_glob)
        except Permanent as error:
            log.warning("reconcile skipped a repository", extra={"repo": repo, "reason": str(error)})
    return done
