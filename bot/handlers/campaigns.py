"""Push events: a campaign file added or changed on the default branch starts (or updates) that campaign."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.campaign.globs import glob_matches
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, START_CAMPAIGN, Job

log = logging.getLogger(__name__)

#: GitHub lists at most this many commits in a push payload; a push this long may have lost some
COMMITS_CAP = 20


def changed_campaign_files(payload: Mapping[str, Any], glob: str) -> list[str] | None:
    """Campaign files the push leaves added or modified, in order; None when the commit list may be partial.

    Commits are replayed oldest first, so a file added and then removed in the same push is not reported.
    """
    commits = payload.get("commits")
    if commits is None and payload.get("head_commit"):
        commits = [payload["head_commit"]]
    commits = commits or []
    if len(commits) >= COMMITS_CAP or any(not _is_complete(commit) for commit in commits):
        return None
    changed: dict[str, None] = {}
    for commit in commits:
        for path in [*commit["added"], *commit["modified"]]:
            if glob_matches(glob, path):
                changed[path] = None
        for path in commit.get("removed") or ():
            changed.pop(path, None)
    return list(changed)


def _is_complete(commit: Mapping[str, Any]) -> bool:
    return (
        "distinct" in commit
        and isinstance(commit.get("added"), list)
        and isinstance(commit.get("modified"), list)
    )


def push(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """One START_CAMPAIGN per campaign file changed on the default branch; ``path=None`` means "discover".

    Other branches, tags, branch deletions and pushes that touch no campaign file give no Jobs. When the
    payload's commit list may be truncated the job asks the worker to discover the campaign files at
    ``sha`` instead of guessing from a partial list; starting is idempotent, so over-asking is safe.
    """
    repository = payload.get("repository") or {}
    default_branch = repository.get("default_branch")
    if payload.get("deleted") or not default_branch or payload.get("ref") != f"refs/heads/{default_branch}":
        return []
    paths: Sequence[str | None] | None = changed_campaign_files(payload, settings.campaign_glob)
    if paths is None:
        log.info(
            "push commit list may be truncated; discovering campaigns",
            extra={"repo": repository.get("full_name")},
        )
        paths = [None]
    installation_id = (payload.get("installation") or {}).get("id")
    return [
        Job(
            START_CAMPAIGN,
            {
                "repo": repository["full_name"],
                "installation_id": installation_id,
                "sha": payload["after"],
                "path": path,
            },
            EVENTS_QUEUE,
        )
        for path in paths
    ]


ROUTES = {("push", None): push}
