"""Installation and ping events: nothing to do but say so in the log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.payloads import Event, InstallationReposEvent, PingEvent, read
from bot.settings import Settings
from workers.contract import Job

log = logging.getLogger(__name__)


def installation(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """App installed, removed, suspended...: campaigns start from pushes, so only log it."""
    event = read(Event, payload)
    log.info("installation %s", event.action,
             extra={"installation_id": event.installation_id, "action": event.action})
    return []


def installation_repositories(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """Repositories added to or removed from the installation: logged with their names."""
    event = read(InstallationReposEvent, payload)
    added = [r.full_name for r in event.repositories_added or ()]
    removed = [r.full_name for r in event.repositories_removed or ()]
    log.info("installation repositories changed", extra={"added": added, "removed": removed})
    return []


def ping(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """GitHub's hello when a hook is created; its 202 tells the sender the secret matches."""
    event = read(PingEvent, payload)
    log.info("ping", extra={"hook_id": event.hook_id, "zen": (event.zen or "")[:200]})
    return []


ROUTES = {
    ("installation", None): installation,
    ("installation_repositories", None): installation_repositories,
    ("ping", None): ping,
}
