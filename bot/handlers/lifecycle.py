"""Installation and ping events: nothing to do but say so in the log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.settings import Settings
from workers.contract import Job

log = logging.getLogger(__name__)


def installation(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """App installed, removed, suspended...: campaigns start from pushes, so only log it."""
    log.info(
        "installation %s",
        payload.get("action"),
        extra={
            "installation_id": (payload.get("installation") or {}).get("id"),
            "action": payload.get("action"),
        },
    )
    return []


def installation_repositories(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """Repositories added to or removed from the installation: logged with their names."""
    added = [r.get("full_name") for r in payload.get("repositories_added") or ()]
    removed = [r.get("full_name") for r in payload.get("repositories_removed") or ()]
    log.info("installation repositories changed", extra={"added": added, "removed": removed})
    return []


def ping(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """GitHub's hello when a hook is created; its 202 tells the sender the secret matches."""
    log.info("ping", extra={"hook_id": payload.get("hook_id"), "zen": payload.get("zen")})
    return []


ROUTES = {
    ("installation", None): installation,
    ("installation_repositories", None): installation_repositories,
    ("ping", None): ping,
}
