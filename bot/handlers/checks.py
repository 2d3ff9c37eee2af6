"""Check events (suites, runs, statuses, workflow runs): a finished check on a bot or default branch -> judge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot import markers
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, JUDGE_CHECKS, Job

#: commit status states that end a status; "pending" ones give no job
FINAL_STATUS_STATES = frozenset({"success", "failure", "error"})


def _judge(payload: Mapping[str, Any], sha: str | None, branches: Iterable[str | None]) -> list[Job]:
    """One JUDGE_CHECKS for `sha` when it sits on a bot branch or the default branch, else nothing.

    The default branch counts because a merged category may break it (the revert path); checks on
    people's own branches are not the bot's business and would only fill the queue.
    """
    repository = payload.get("repository") or {}
    default_branch = repository.get("default_branch")
    if not sha or not repository.get("full_name"):
        return []
    if not any(b and (b == default_branch or markers.parse_branch(b)) for b in branches):
        return []
    kwargs = {
        "repo": repository["full_name"],
        "installation_id": (payload.get("installation") or {}).get("id"),
        "sha": sha,
    }
    return [Job(JUDGE_CHECKS, kwargs, EVENTS_QUEUE)]


def check_suite_completed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    suite = payload.get("check_suite") or {}
    return _judge(payload, suite.get("head_sha"), [suite.get("head_branch")])


def check_run_completed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    run = payload.get("check_run") or {}
    suite = run.get("check_suite") or {}
    return _judge(payload, run.get("head_sha"), [suite.get("head_branch")])


def workflow_run_completed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    run = payload.get("workflow_run") or {}
    return _judge(payload, run.get("head_sha"), [run.get("head_branch")])


def status(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """A commit status that ended; `branches` lists the branches whose head is that commit."""
    if payload.get("state") not in FINAL_STATUS_STATES:
        return []
    branches = [b.get("name") for b in payload.get("branches") or () if isinstance(b, Mapping)]
    return _judge(payload, payload.get("sha"), branches)


ROUTES = {
    ("check_suite", "completed"): check_suite_completed,
    ("check_run", "completed"): check_run_completed,
    ("workflow_run", "completed"): workflow_run_completed,
    ("status", None): status,
}
