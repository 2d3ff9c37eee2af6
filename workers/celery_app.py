"""The Celery app, built from the same Settings as the web app: at-least-once, JSON only, two queues.

``celery -A workers.celery_app worker`` finds the module-level ``app``, which is built from
``Settings.from_env()`` on first access, so importing this module does no work and needs no environment.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, bootsteps
from celery.signals import setup_logging
from kombu import Queue

from bot import sandbox
from bot.campaign.spec import BROKER_VISIBILITY_TIMEOUT_S
from bot.logs import configure_logging
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, MIGRATIONS_QUEUE, RECONCILE_CAMPAIGNS, TASK_QUEUES

#: longer than the longest migration, or Redis hands an unacknowledged task to a second worker mid-run
VISIBILITY_TIMEOUT_S = BROKER_VISIBILITY_TIMEOUT_S  # validate.timeout is bounded by it
_SETTINGS_ATTR = "migration_bot_settings"


class RequireGithubAuth(bootsteps.Step):
    """Worker start-up step: a worker that would talk to GitHub refuses to start without credentials.

    Eager mode (the offline demo) runs tasks in-process against the local forge and needs none.
    """

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        settings = settings_of(parent.app)
        if not settings.eager:
            settings.require_github_auth()
        super().__init__(parent, **kwargs)


class LogSandboxMode(bootsteps.Step):
    """Worker start-up step: say how the repositories' code will run (bot.sandbox)."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        logging.getLogger(__name__).info("sandbox mode: %s", sandbox.describe_mode())
        super().__init__(parent, **kwargs)


def make_celery(settings: Settings) -> Celery:
    """A Celery app on ``settings.redis_url``; send_task by name works without importing workers.tasks."""
    app = Celery(
        "migration_bot", broker=settings.redis_url, backend=settings.redis_url, include=["workers.tasks"]
    )
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        result_expires=86400,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=(Queue(EVENTS_QUEUE), Queue(MIGRATIONS_QUEUE)),
        task_default_queue=EVENTS_QUEUE,
        task_routes={name: {"queue": queue} for name, queue in TASK_QUEUES.items()},
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        broker_connection_retry_on_startup=True,
        # A webhook request should fail fast (503) rather than hang when the broker is down.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        task_always_eager=settings.eager,
        task_eager_propagates=True,
        beat_schedule={
            "reconcile-campaigns": {
                "task": RECONCILE_CAMPAIGNS,
                "schedule": float(settings.reconcile_seconds),
                "options": {"queue": EVENTS_QUEUE},
            }
        },
        enable_utc=True,
        timezone="UTC",
    )
    setattr(app, _SETTINGS_ATTR, settings)
    app.steps["worker"].add(RequireGithubAuth)
    app.steps["worker"].add(LogSandboxMode)
    sandbox.configure(settings.sandbox)  # repositories' venvs live in the user's cache, never in the workdir
    return app


def settings_of(app: Celery) -> Settings:
    """The Settings an app was made from (tasks build their forge and clones from these)."""
    settings = getattr(app, _SETTINGS_ATTR, None)
    if settings is None:
        raise LookupError("this Celery app was not built by make_celery")
    return settings


_app: Celery | None = None


def __getattr__(name: str) -> Celery:
    """Module-level ``app`` (and ``celery``), built from the environment on first access."""
    global _app
    if name not in ("app", "celery"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = make_celery(Settings.from_env())
        setup_logging.connect(_json_logs, weak=False)  # the worker and beat processes log JSON lines
    return _app


def _json_logs(loglevel: int | str = "INFO", **_: object) -> None:
    configure_logging(loglevel or "INFO")
