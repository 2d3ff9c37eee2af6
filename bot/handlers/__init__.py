"""Webhook handlers: pure functions (event payload -> Jobs). They never call GitHub; tasks do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class Job:
    """One task to enqueue: its registered name, JSON-able keyword arguments (ids, never objects), its queue."""

    task: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    queue: str = EVENTS_QUEUE
