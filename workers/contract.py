"""The queue contract between the web side and the workers: task and queue names, Job, the command verbs.

The handlers, routes, webhooks and enqueue import this module and nothing else from `workers` (only the
app factory also builds the Celery app); the workers import nothing from the web side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["CHECK_CAMPAIGN", "DASHBOARD_EDITED", "DESCRIPTIONS", "EVENTS_QUEUE", "JUDGE_CHECKS", "MIGRATE_CATEGORY",
           "MIGRATIONS_QUEUE", "PULL_CLOSED", "RECONCILE_CAMPAIGNS", "RUN_COMMAND", "START_CAMPAIGN", "TASK_QUEUES",
           "Job", "Verb", "commands_section", "help_text"]

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
CHECK_CAMPAIGN = "workers.tasks.check_campaign"
DASHBOARD_EDITED = "workers.tasks.dashboard_edited"

#: the queue each task runs on
TASK_QUEUES: dict[str, str] = {
    START_CAMPAIGN: EVENTS_QUEUE,
    JUDGE_CHECKS: EVENTS_QUEUE,
    PULL_CLOSED: EVENTS_QUEUE,
    RUN_COMMAND: EVENTS_QUEUE,
    RECONCILE_CAMPAIGNS: EVENTS_QUEUE,
    CHECK_CAMPAIGN: EVENTS_QUEUE,
    DASHBOARD_EDITED: EVENTS_QUEUE,
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
    RECREATE = "recreate"  #: Dependabot's word for `rebase`; does the same
    MERGE = "merge"  #: merge once the required checks pass (recorded as a label)
    RETRY = "retry"  #: run the category's migration again (reopens a PR the bot closed as failed)
    SKIP = "skip"  #: close the PR and record the category as skipped, so the rollout moves on
    CANCEL_MERGE = "cancel-merge"  #: take back a `merge` (also written `cancel merge`)
    PAUSE = "pause"  #: the campaign opens and merges nothing until `resume`
    RESUME = "resume"  #: undo `pause`
    HELP = "help"  #: list the commands
    UNKNOWN = "unknown"  #: anything else after the mention; answered with the help text


#: what each verb does, in the order the help text lists them
DESCRIPTIONS: dict[Verb, str] = {
    Verb.REBASE: "regenerate this pull request's branch on the current default branch",
    Verb.RECREATE: "the same as `rebase` (Dependabot's word for it)",
    Verb.MERGE: "merge this pull request once its required checks pass",
    Verb.CANCEL_MERGE: "take back an earlier `merge` (`cancel merge` works too)",
    Verb.RETRY: "run this category's migration again (reopens the pull request if the bot closed it)",
    Verb.SKIP: "close this pull request and mark the category skipped, so the rollout moves on",
    Verb.PAUSE: "pause the whole campaign: no pull request is opened or merged until `resume`",
    Verb.RESUME: "resume a paused campaign",
    Verb.HELP: "show this list",
}

#: the short section every bot pull request ends with, as Dependabot's do
COMMANDS_SECTION = """<details>
<summary>Commands</summary>

Comment on this pull request, on a line of its own (write access needed):

{verbs}

{dashboard}
</details>"""


def help_text(bot_name: str) -> str:
    """The verbs and what they do, as a Markdown list (no line starts with the mention)."""
    lines = [f"- `@{bot_name} {verb.value}`: {what}" for verb, what in DESCRIPTIONS.items()]
    return "\n".join(lines)


def commands_section(bot_name: str, dashboard: int) -> str:
    """The "Commands" section of a bot PR body, linking the campaign's dashboard issue (GitHub links `#12`)."""
    link = f"The campaign's dashboard issue #{dashboard} shows every category and has checkboxes for the same steering."
    return COMMANDS_SECTION.format(verbs=help_text(bot_name), dashboard=link)
