"""Thin Celery task for comment commands: same edge as `workers.tasks` (Retryable -> retry, Permanent -> said).

The job runs under the repository's rollout lock (so a command and a judge never act on one PR at the
same moment); the tasks it asks for are sent after the lock is released, so an eager app (the demo),
which runs them in-process at once, never waits on a lock its caller holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from celery import Task, shared_task

from workers import command_jobs
from workers.contract import RUN_COMMAND
from workers.rollout_tasks import remember_repo, rollout_lock_name
from workers.tasks import MAX_RETRIES, _enqueue, guarded, runtime


@shared_task(name=RUN_COMMAND, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def run_command(self: Task, repo: str, installation_id: int | None, number: int, comment_id: int, author: str,
                commands: Sequence[str]) -> list[str]:
    rt = runtime(self.app)
    forge = rt.forge_for(installation_id)
    remember_repo(rt.settings, repo, installation_id)
    due: list[tuple[str, Mapping[str, Any]]] = []

    def work() -> list[str]:
        with rt.lock.hold(rollout_lock_name(repo)):
            done = command_jobs.run_command(
                forge, repo, number, comment_id, author, commands, enqueue=lambda name, kw: due.append((name, kw)),
                bot_name=rt.settings.bot_name, campaign_glob=rt.settings.campaign_glob)
        send = _enqueue(self, installation_id)
        for name, kwargs in due:
            send(name, kwargs)
        return done

    return guarded(self, work, {"repo": repo, "pull": number, "comment_id": comment_id, "author": author},
                   on_permanent=lambda reason: command_jobs.report_failure(forge, repo, number, reason))
