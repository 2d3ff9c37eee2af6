"""What the dashboard's views read from the app: the settings and where repositories come from."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from bot.settings import Settings
from bot.web.catalog import Catalog

EXTENSION = "migration_bot_web"


@dataclass(frozen=True)
class WebConfig:
    """Stored under ``app.extensions["migration_bot_web"]`` by `bot.web.install`."""

    settings: Settings
    catalog: Catalog


def web_config() -> WebConfig:
    config: WebConfig = current_app.extensions[EXTENSION]
    return config
