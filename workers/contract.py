"""The queue contract between the web side and the workers: task and queue names, Job, the command verbs.

The handlers, routes, webhooks and enqueue import this module and nothing else from `workers` (only the
app factory also builds the Celery app); the workers import nothing from the web side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["DESCRIPTIONS", "EVENTS_QUEUE", "JUDGE_CHECKS", "MIGRATE_CATEGORY", "MIGRATIONS_QUEUE", "PULL_CLOSED",
           "RECONCILE_CAMPAIGNS", "RUN_COMMAND", "START_CAMPAIGN", "TASK_QUEUES", "Job", "Verb", "help_text"]

#: queue for short event-driven work, so webhooks never wait behind a migration
EVENTS_QUEUE = "events"
#: queue for clone/apply/validate/push work
MIGRATIONS_QUEUE = "migrations"

START_CAMPAIGN = "workers.tasks.start_campaign"
MIGRATE_CATEGORY = "workers.tasks.migrate_category"
JUDGE_CHECKS = "workers.tasks.judge_checks"
PULL_CLOSED = "workers.tasks.pull_closed"
RUN_COMMAND = "workers.tasks.run_command"
RECONCILE_CAMPAIGNS = "workers.tasks.reconcile_campaigns"

#: the queue each task runs on
TASK_QUEUES: dict[str, str] = {
    START_CAMPAIGN: EVENTS_QUEUE,
    JUDGE_CHECKS: EVENTS_QUEUE,
    PULL_CLOSED: EVENTS_QUEUE,
    RUN_COMMAND: EVENTS_QUEUE,
    RECONCILE_CAMPAIGNS: EVENTS_QUEUE,
    MIGRATE_CATEGORY: MIGRATIONS_QUEUE,
}


@dataclass(frozen=True)
class Job:
    """One task to enqueue: its registered name, JSON-able keyword arguments (ids, never objects), its queue."""

    task: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    queue: str = EVENTS_QUEUE


class Verb(StrEnum):
    """What a maintainer can ask the bot in a comment (`@migration-bot merge`)."""

    REBASE = "rebase"  #: regenerate the branch on the current default branch
    MERGE = "merge"  #: merge once the required checks pass (recorded as a label)
    RETRY = "retry"  #: run the category's migration again (reopens a PR the bot closed as failed)
    SKIP = "skip"  #: close the PR and record the category as skipped, so the rollout moves on
    CANCEL_MERGE = "cancel-merge"  #: take back a `merge`
    HELP = "help"  #: list the commands
    UNKNOWN = "unknown"  #: anything else after the mention; answered with the help text


#: what each verb does, in the order the help text lists them
DESCRIPTIONS: dict[Verb, str] = {
    Verb.REBASE: "regenerate this pull request's branch on the current default branch",
    Verb.MERGE: "merge this pull request once its required checks pass",
    Verb.CANCEL_MERGE: "take back an earlier `merge`",
    Verb.RETRY: "run this category's migration again (reopens the pull request if the bot closed it)",
    Verb.SKIP: "close this pull request and mark the category skipped, so the rollout moves on",
    Verb.HELP: "show this list",
}


def help_text(bot_name: str) -> str:
    """The verbs and what they do, as a Markdown list (no line starts with the mention)."""
    lines = [f"- `@{bot_name} {verb.value}`: {what}" for verb, what in DESCRIPTIONS.items()]
    return "\n".join(lines)
