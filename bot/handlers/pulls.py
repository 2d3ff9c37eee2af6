"""Pull request and review events: on the bot's own PRs, closed -> next category, new head or approval -> judge;
on a fork's PR, a new head -> check the campaign files it may change (the base repository sees no push of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import markers
from bot.payloads import Pull, PullEvent, read
from bot.settings import Settings
from workers.contract import CHECK_CAMPAIGN, EVENTS_QUEUE, JUDGE_CHECKS, PULL_CLOSED, Job


def _bot_pull(event: PullEvent) -> Pull | None:
    """The PR when it may be one of the bot's: a bot branch in the repository itself (not a fork) with the
    bot's marker. The job checks the author too (only a worker knows the bot's login)."""
    pull = event.pull_request
    head = pull.head if pull else None
    if pull is None or head is None or not event.repo:
        return None
    head_repo = head.repo.full_name if head.repo else None
    if head_repo != event.repo or markers.parse_branch(head.ref or "") is None:
        return None
    if markers.parse_marker(pull.body or "") is None:
        return None
    return pull


def _ids(event: PullEvent) -> dict[str, Any]:
    return {"repo": event.repo, "installation_id": event.installation_id}


def _judge_head(event: PullEvent) -> list[Job]:
    pull = _bot_pull(event)
    if pull is None or pull.state != "open" or pull.head is None or not pull.head.sha:
        return []
    return [Job(JUDGE_CHECKS, {**_ids(event), "sha": pull.head.sha}, EVENTS_QUEUE)]


def _fork_check(event: PullEvent) -> list[Job]:
    """One CHECK_CAMPAIGN for an open PR from another repository; the worker lists its files and checks
    the campaign files among them (most fork PRs touch none, and then no check run is written).

    A PR from a branch of the repository itself needs none: the push of that branch was checked.
    """
    pull = event.pull_request
    head = pull.head if pull else None
    if pull is None or head is None or not head.sha or not event.repo or pull.state != "open":
        return []
    if head.repo is not None and head.repo.full_name == event.repo:
        return []
    kwargs = {**_ids(event), "sha": head.sha, "paths": None, "branch": head.ref or "", "number": pull.number}
    return [Job(CHECK_CAMPAIGN, kwargs, EVENTS_QUEUE)]


def pull_request_opened(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """A fork's new PR may bring a campaign file: check it."""
    return _fork_check(read(PullEvent, payload))


def pull_request_closed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """Merged or closed bot PR -> PULL_CLOSED: the job starts the next category or frees a slot."""
    event = read(PullEvent, payload)
    pull = _bot_pull(event)
    if pull is None:
        return []
    return [Job(PULL_CLOSED, {**_ids(event), "number": pull.number}, EVENTS_QUEUE)]


def pull_request_reopened(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """Reopened by a maintainer: judge its head again (a reopened failed PR is not closed again)."""
    event = read(PullEvent, payload)
    return _judge_head(event) + _fork_check(event)


def pull_request_synchronize(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """New head: a green label on the old head is no longer true; the judge takes it off."""
    event = read(PullEvent, payload)
    return _judge_head(event) + _fork_check(event)


def pull_request_review_submitted(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """An approval may be the required review a pending merge waited for: judge (and merge) again."""
    event = read(PullEvent, payload)
    if ((event.review.state if event.review else None) or "").lower() != "approved":
        return []
    return _judge_head(event)


ROUTES = {
    ("pull_request", "opened"): pull_request_opened,
    ("pull_request", "closed"): pull_request_closed,
    ("pull_request", "reopened"): pull_request_reopened,
    ("pull_request", "synchronize"): pull_request_synchronize,
    ("pull_request_review", "submitted"): pull_request_review_submitted,
}
