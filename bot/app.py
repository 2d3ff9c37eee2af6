"""The Flask app factory: settings, Redis and the Celery app on ``app.extensions``; blueprints; no work at import.

Served by ``flask --app bot.app run`` and ``gunicorn 'bot.app:create_app()'``.
"""

from __future__ import annotations

from typing import Any

import redis
from celery import Celery
from flask import Flask

from bot import metrics, web, webhooks
from bot.logs import configure_logging
from bot.services import EXTENSION, Services
from bot.settings import Settings
from workers.celery_app import make_celery

#: the webhook edge must answer in milliseconds; a Redis that hangs counts as down
REDIS_TIMEOUT_S = 2.0


def create_app(
    settings: Settings | None = None, *, celery: Celery | None = None, redis_client: Any = None
) -> Flask:
    """Build the web app; raises SettingsError (naming the variable) when the webhook secret is missing.

    Reads the environment only when `settings` is not given; tests pass their own Settings, Celery app
    and Redis client.
    """
    if settings is None:  # a real deployment (gunicorn, flask run): read the environment, log JSON lines
        settings = Settings.from_env()
        configure_logging()
    settings.require_webhook_secret()
    if celery is None:
        celery = make_celery(settings)
    if redis_client is None:
        redis_client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
    app = Flask(__name__)
    app.extensions[EXTENSION] = Services(settings, celery, redis_client)
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(metrics.blueprint)
    web.install(app, settings, web.GitHubCatalog(settings))  # the dashboard pages, behind sign-in
    return app
