"""What the views share, stored on ``app.extensions``: settings, the Celery app, a Redis client.

Its own module so the app factory and the views both import it, and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from celery import Celery
from flask import current_app

from bot.settings import Settings

EXTENSION = "migration_bot"


@dataclass(frozen=True)
class Services:
    """What the views use, stored under ``app.extensions["migration_bot"]``."""

    settings: Settings
    celery: Celery
    redis: Any  #: a redis.Redis client used for delivery dedupe and the health check


def services() -> Services:
    """The current app's Services (inside a request or app context)."""
    return current_app.extensions[EXTENSION]
