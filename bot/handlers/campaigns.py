"""Push events: campaign files added, changed or removed -> start (default branch) and check (any branch).

A push to the default branch that adds or changes a campaign file starts that campaign. A push to any
branch that touches the campaign glob is checked: the worker sets the `migration-bot/campaign` check run
on the pushed commit, so a broken campaign fails its pull request before it is merged; on the default
branch the check also tells each touched campaign's dashboard (errors to fix, or the campaign stopped).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.campaign.load import is_campaign_file
from bot.payloads import Commit, PushEvent, read
from bot.settings import Settings
from workers.contract import CHECK_CAMPAIGN, EVENTS_QUEUE, START_CAMPAIGN, Job

log = logging.getLogger(__name__)

#: GitHub lists at most this many commits in a push payload; a push this long may have lost some
COMMITS_CAP = 20
BRANCH_REF = "refs/heads/"


@dataclass(frozen=True)
class CampaignChanges:
    """Campaign files a push leaves added or modified, and those it removed, each in push order."""

    changed: tuple[str, ...]
    removed: tuple[str, ...]


def campaign_changes(event: PushEvent, glob: str) -> CampaignChanges | None:
    """What the push did to campaign files; None when its commit list may be partial.

    Commits are replayed oldest first, so a file added and then removed in the same push is in neither list,
    and one removed and then added again counts as changed.
    """
    commits = event.commits
    if commits is None and event.head_commit is not None:
        commits = [event.head_commit]
    commits = commits or []
    if len(commits) >= COMMITS_CAP or any(not _is_complete(commit) for commit in commits):
        return None
    def ours(paths: list[str] | None) -> list[str]:
        return [path for path in paths or () if is_campaign_file(glob, path)]

    changed: dict[str, None] = {}
    removed: dict[str, None] = {}
    new_here: set[str] = set()  # added by this push, not after removing it: it was not there before
    for commit in commits:
        for path in ours(commit.added):
            if path not in removed:
                new_here.add(path)
            removed.pop(path, None)
            changed[path] = None
        for path in ours(commit.modified):
            changed[path] = None
        for path in ours(commit.removed):
            changed.pop(path, None)
            if path not in new_here:
                removed[path] = None
    return CampaignChanges(tuple(changed), tuple(removed))


def changed_campaign_files(payload: Mapping[str, Any], glob: str) -> list[str] | None:
    """Campaign files the push leaves added or modified, in order; None when the commit list may be partial."""
    changes = campaign_changes(read(PushEvent, payload), glob)
    return None if changes is None else list(changes.changed)


def _is_complete(commit: Commit) -> bool:
    return commit.distinct is not None and commit.added is not None and commit.modified is not None


def push(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """START_CAMPAIGN per campaign file changed on the default branch (``path=None`` means "discover"), then
    one CHECK_CAMPAIGN when the push touched the campaign glob on any branch.

    Tags, branch deletions and pushes that touch no campaign file give no Jobs. When the payload's commit
    list may be truncated the jobs discover the campaign files at ``sha`` instead of guessing from a partial
    list; starting and checking are idempotent, so over-asking is safe.
    """
    event = read(PushEvent, payload)
    ref, sha, repo = event.ref or "", event.after, event.repo
    if event.deleted or not repo or not sha or not ref.startswith(BRANCH_REF):
        return []
    branch = ref.removeprefix(BRANCH_REF)
    on_default = branch == (event.repository.default_branch if event.repository else None)
    changes = campaign_changes(event, settings.campaign_glob)
    if changes is None:
        log.info("push commit list may be truncated; discovering campaigns", extra={"repo": repo})
    ids = {"repo": repo, "installation_id": event.installation_id, "sha": sha}
    paths: Sequence[str | None] = [None] if changes is None else changes.changed
    jobs = [Job(START_CAMPAIGN, {**ids, "path": path}, EVENTS_QUEUE) for path in paths] if on_default else []
    if changes is None or changes.changed or (on_default and changes.removed):
        check = {**ids, "paths": None if changes is None else list(changes.changed), "branch": branch,
                 "removed": [] if changes is None or not on_default else list(changes.removed),
                 "before": event.before}
        jobs.append(Job(CHECK_CAMPAIGN, check, EVENTS_QUEUE))
    return jobs


ROUTES = {("push", None): push}
