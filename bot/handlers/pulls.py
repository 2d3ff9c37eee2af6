"""Pull request and review events on the bot's own PRs: closed -> next category; new head or approval -> judge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import markers
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, JUDGE_CHECKS, PULL_CLOSED, Job


def _bot_pull(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The PR when it is one of the bot's: a bot branch in the repository itself (not a fork)."""
    pull = payload.get("pull_request") or {}
    head = pull.get("head") or {}
    repo = (payload.get("repository") or {}).get("full_name")
    head_repo = (head.get("repo") or {}).get("full_name")
    if not repo or head_repo != repo or markers.parse_branch(head.get("ref") or "") is None:
        return None
    return pull


def _ids(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "repo": payload["repository"]["full_name"],
        "installation_id": (payload.get("installation") or {}).get("id"),
    }


def _judge_head(payload: Mapping[str, Any]) -> list[Job]:
    pull = _bot_pull(payload)
    if pull is None or pull.get("state") != "open":
        return []
    return [Job(JUDGE_CHECKS, {**_ids(payload), "sha": pull["head"]["sha"]}, EVENTS_QUEUE)]


def pull_request_closed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """Merged or closed bot PR -> PULL_CLOSED: the job starts the next category or frees a slot."""
    pull = _bot_pull(payload)
    if pull is None:
        return []
    return [Job(PULL_CLOSED, {**_ids(payload), "number": pull["number"]}, EVENTS_QUEUE)]


def pull_request_reopened(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """Reopened by a maintainer: judge its head again (a reopened failed PR is not closed again)."""
    return _judge_head(payload)


def pull_request_synchronize(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """New head: a green label on the old head is no longer true; the judge takes it off."""
    return _judge_head(payload)


def pull_request_review_submitted(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """An approval may be the required review a pending merge waited for: judge (and merge) again."""
    if ((payload.get("review") or {}).get("state") or "").lower() != "approved":
        return []
    return _judge_head(payload)


ROUTES = {
    ("pull_request", "closed"): pull_request_closed,
    ("pull_request", "reopened"): pull_request_reopened,
    ("pull_request", "synchronize"): pull_request_synchronize,
    ("pull_request_review", "submitted"): pull_request_review_submitted,
}
