"""Check events (suites, runs, statuses, workflow runs): a finished check on a bot or default branch -> judge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot import markers
from bot.payloads import CheckRunEvent, CheckSuiteEvent, Event, StatusEvent, WorkflowRunEvent, read
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, JUDGE_CHECKS, Job

#: commit status states that end a status; "pending" ones give no job
FINAL_STATUS_STATES = frozenset({"success", "failure", "error"})


def _judge(event: Event, sha: str | None, branches: Iterable[str | None]) -> list[Job]:
    """One JUDGE_CHECKS for `sha` when it sits on a bot branch or the default branch, else nothing.

    The default branch counts because a merged category may break it (the revert path); checks on
    people's own branches are not the bot's business and would only fill the queue.
    """
    repository = event.repository
    if not sha or repository is None:
        return []
    default_branch = repository.default_branch
    if not any(b and (b == default_branch or markers.parse_branch(b)) for b in branches):
        return []
    kwargs = {"repo": repository.full_name, "installation_id": event.installation_id, "sha": sha}
    return [Job(JUDGE_CHECKS, kwargs, EVENTS_QUEUE)]


def check_suite_completed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    event = read(CheckSuiteEvent, payload)
    suite = event.check_suite
    return _judge(event, suite.head_sha, [suite.head_branch]) if suite else []


def check_run_completed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    event = read(CheckRunEvent, payload)
    run = event.check_run
    if run is None:
        return []
    return _judge(event, run.head_sha, [run.check_suite.head_branch if run.check_suite else None])


def workflow_run_completed(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    event = read(WorkflowRunEvent, payload)
    run = event.workflow_run
    return _judge(event, run.head_sha, [run.head_branch]) if run else []


def status(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """A commit status that ended; `branches` lists the branches whose head is that commit."""
    event = read(StatusEvent, payload)
    if event.state not in FINAL_STATUS_STATES:
        return []
    return _judge(event, event.sha, [b.name for b in event.branches or ()])


ROUTES = {
    ("check_suite", "completed"): check_suite_completed,
    ("check_run", "completed"): check_run_completed,
    ("workflow_run", "completed"): workflow_run_completed,
    ("status", None): status,
}
