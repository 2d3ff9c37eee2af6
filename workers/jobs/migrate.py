"""Migration jobs: start a campaign (which categories are due), migrate one category into its PR.

Every write is find-or-create on a deterministic key (branch name, PR marker, comment marker), and the
effects come in an order any prefix of which can be re-run: compute -> push -> find-or-create PR ->
body and labels -> comment.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import gitops, markers
from bot.campaign.globs import glob_matches
from bot.engine.report import render_summary
from bot.forge.base import Forge, Permanent, PullInfo, Retryable
from bot.rollout.state import campaign_state, categories_to_start
from workers.change import CategoryChange, build_change, load_campaign_text, planned_files
from workers.contract import MIGRATE_CATEGORY, Job
from workers.jobs import DEFAULTS, JobConfig, Outcome, follow_up
from workers.jobs.dashboard import update_campaign_dashboard, update_dashboard

log = logging.getLogger(__name__)

HUMAN_COMMITS_CONCERN = "human-commits"
HUMAN_COMMITS_COMMENT = (
    "The branch `{branch}` has commits the bot did not make ({shas}), so the bot did not push its "
    "regenerated change over them. Push or revert as you see fit; the bot will not touch this branch "
    "while they are there."
)


@dataclass(frozen=True)
class PullOpened:
    category: str
    branch: str
    number: int
    draft: bool
    body: str
    totals: Mapping[str, int]  #: ValidationReport.totals
    ok: bool  #: the validation verdict

    def to_json(self) -> dict[str, Any]:
        return {"result": type(self).__name__, **{k: v for k, v in vars(self).items() if k != "totals"},
                "totals": dict(self.totals)}


@dataclass(frozen=True)
class PullUpdated(PullOpened):
    """The category's PR already existed (a re-run or a retry): its body and labels were brought up to date."""

    pushed: bool = False  #: False when the branch already held exactly this content


@dataclass(frozen=True)
class NothingToChange:
    category: str
    branch: str

    def to_json(self) -> dict[str, Any]:
        return {"result": type(self).__name__, "category": self.category, "branch": self.branch}


@dataclass(frozen=True)
class HumanCommitsFound:
    """Someone else committed to the bot's branch: nothing was pushed, the PR says why."""

    category: str
    branch: str
    number: int | None
    commits: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"result": type(self).__name__, "category": self.category, "branch": self.branch,
                "number": self.number, "commits": list(self.commits)}


@dataclass(frozen=True)
class PullLeftClosed:
    """The category's PR is closed or merged; the bot never reopens or pushes over what a person closed."""

    category: str
    branch: str
    number: int

    def to_json(self) -> dict[str, Any]:
        return {"result": type(self).__name__, "category": self.category, "branch": self.branch,
                "number": self.number}


MigrationResult = PullOpened | PullUpdated | NothingToChange | HumanCommitsFound | PullLeftClosed


def campaign_paths(forge: Forge, repo: str, sha: str, path: str | None, glob: str) -> list[str]:
    """`path`, or every file matching `glob` at `sha` when the push did not say which changed."""
    if path is not None:
        return [path]
    directory = glob.rsplit("/", 1)[0] if "/" in glob else ""
    return [p for p in forge.list_files(repo, directory, sha) if glob_matches(glob, p)]


def start_campaign(forge: Forge, repo: str, sha: str, path: str | None,
                   config: JobConfig = DEFAULTS) -> Outcome[list[str]]:
    """Reads the campaign(s) at `sha`; the categories the rollout allows now, each with a MIGRATE_CATEGORY.

    GitHub's PRs are the only state read, so a flushed Redis or a repeated push asks for nothing that is
    not due; a duplicate follow-up is harmless anyway.
    """
    info = forge.repo(repo)
    started: list[str] = []
    due_jobs: list[Job] = []
    for campaign_path in campaign_paths(forge, repo, sha, path, config.campaign_glob):
        campaign = load_campaign_text(forge.read_file(repo, campaign_path, sha), campaign_path)
        with fresh_clone(forge, repo, info.clone_url, sha, config.workdir) as clone:
            planned = planned_files(clone, campaign)
            head = gitops.head_sha(clone)  # `sha` may name a branch (a follow-up); markers need the commit
        pulls = forge.list_pulls(repo, markers.campaign_branch_prefix(campaign.id))
        due = categories_to_start(campaign, campaign_state(campaign, pulls, planned))
        log.info("campaign due", extra={"repo": repo, "campaign": campaign.id, "categories": due,
                                        "planned": planned})
        due_jobs += [follow_up(MIGRATE_CATEGORY, repo=repo, sha=head, campaign_path=campaign_path, category=category)
                     for category in due]
        started += due
        if 0 in planned.values():  # only a clone knows a category is empty: the dashboard remembers it
            update_campaign_dashboard(forge, repo, campaign, planned=planned)
    return Outcome(started, tuple(due_jobs))


@contextmanager
def fresh_clone(forge: Forge, repo: str, url: str, sha: str, workdir: str | Path | None) -> Iterator[Path]:
    """A fresh shallow clone at `sha` in a temporary folder, removed on exit whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="migration-bot-", dir=workdir))
    try:
        try:
            clone = gitops.clone(url, tmp / "repo", rev=sha, auth=gitops.GitAuth(forge.git_token(repo)))
        except gitops.GitError as error:
            raise Retryable(f"clone of {repo} failed: {error}") from None
        yield clone
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def migrate_category(forge: Forge, repo: str, sha: str, campaign_path: str, category: str,
                     config: JobConfig = DEFAULTS) -> MigrationResult:
    """Builds the category's change at `sha` and opens (or updates) its PR; run under the repository lock.

    Never pushes over a commit the bot did not make, never opens a second PR for a branch, never
    pushes when the branch already holds the same content, and opens nothing when nothing changes.
    """
    info = forge.repo(repo)
    with fresh_clone(forge, repo, info.clone_url, sha, config.workdir) as clone:
        campaign = load_campaign_text(_read(clone, campaign_path), campaign_path)
        branch = markers.branch_name(campaign.id, category)
        change = build_change(clone, campaign, category, branch)
        if change.commit is None:
            log.info("nothing to change", extra={"repo": repo, "campaign": campaign.id, "category": category})
            update_campaign_dashboard(forge, repo, campaign, planned={category: 0})
            return NothingToChange(category, branch)
        pull = forge.find_pull(repo, branch)
        if pull is not None and pull.state != "open":
            log.info("pull request closed; leaving it", extra={"repo": repo, "pull": pull.number})
            return PullLeftClosed(category, branch, pull.number)
        auth = gitops.GitAuth(forge.git_token(repo))
        pushed = _push(clone, branch, auth)
        if isinstance(pushed, tuple):
            return _human_commits(forge, repo, category, branch, pull, pushed)
        result = _publish(forge, repo, info.default_branch, sha, change, branch, pull, pushed)
        update_dashboard(forge, repo, campaign_path, sha)  # last: after the PR work, under the lock
        return result


def _read(clone: Path, path: str) -> str | None:
    target = clone / path
    return target.read_text(encoding="utf-8") if target.is_file() else None


def _push(clone: Path, branch: str, auth: gitops.GitAuth) -> bool | tuple[str, ...]:
    """True when pushed, False when origin already has this content, or the foreign commits' shas."""
    try:
        remote = gitops.remote_branch_sha(clone, branch, auth)
        if remote is not None:
            ref = gitops.fetch(clone, branch, auth)
            foreign = gitops.foreign_commits(clone, ref)
            if foreign:
                return tuple(stamp.sha for stamp in foreign)
            if gitops.same_tree(clone, "HEAD", ref):
                return False
        gitops.push(clone, branch, expected=remote, auth=auth)
    except gitops.GitError as error:
        # a lost lease means someone pushed meanwhile: the retry re-reads the branch and re-judges
        raise Retryable(f"push of {branch} failed: {error}", after_s=5) from None
    return True


def _human_commits(forge: Forge, repo: str, category: str, branch: str, pull: PullInfo | None,
                   shas: tuple[str, ...]) -> HumanCommitsFound:
    log.warning("foreign commits on bot branch; not pushing", extra={"repo": repo, "branch": branch,
                                                                       "commits": list(shas)})
    if pull is not None:
        text = HUMAN_COMMITS_COMMENT.format(branch=branch, shas=", ".join(s[:12] for s in shas))
        forge.upsert_comment(repo, pull.number, markers.comment_marker(HUMAN_COMMITS_CONCERN), text)
    return HumanCommitsFound(category, branch, pull.number if pull else None, shas)


def _publish(forge: Forge, repo: str, base: str, sha: str, change: CategoryChange, branch: str,
             pull: PullInfo | None, pushed: bool) -> PullOpened | PullUpdated:
    """Find-or-create the PR, then bring its body and labels up to date."""
    campaign = change.campaign
    title = f"[migration] {campaign.title}: {change.category}"
    marker = markers.render_marker(markers.PullMarker(campaign.id, change.category, sha))
    body = render_summary(change.report, campaign_title=campaign.title) + "\n\n" + marker
    fields = {"category": change.category, "branch": branch, "draft": change.draft, "body": body,
              "totals": change.report.totals, "ok": change.report.ok}
    if pull is None:
        pull = forge.open_pull(repo, head=branch, base=base, title=title, body=body, draft=change.draft)
        result: PullOpened | PullUpdated = PullOpened(number=pull.number, **fields)
    else:
        if pull.body != body or pull.title != title:
            pull = forge.edit_pull(repo, pull.number, title=title, body=body)
        result = PullUpdated(number=pull.number, pushed=pushed, **fields)
    forge.add_labels(repo, pull.number, [markers.LABEL_BOT, markers.campaign_label(campaign.id)])
    log.info("pull request ready", extra={"repo": repo, "campaign": campaign.id, "category": change.category,
                                          "pull": pull.number, "result": type(result).__name__})
    return result


FAILURE_CONCERN = "failure"


def comment_migration_failure(forge: Forge, repo: str, sha: str, campaign_path: str, category: str,
                              reason: str) -> None:
    """Says a permanent failure on the category's PR, in one comment edited on repeats; silent without a PR."""
    try:
        campaign = load_campaign_text(forge.read_file(repo, campaign_path, sha), campaign_path)
    except Permanent:
        return  # no campaign, no branch name, no PR to speak on: the log has it
    pull = forge.find_pull(repo, markers.branch_name(campaign.id, category))
    if pull is not None:
        text = f"The bot could not update this pull request:\n\n```\n{reason}\n```"
        forge.upsert_comment(repo, pull.number, markers.comment_marker(FAILURE_CONCERN), text)
