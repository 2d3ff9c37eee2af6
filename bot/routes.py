"""The one routing table: (event, action) -> handler, merged from one ROUTES table per handler module.

A handler is a pure function ``handler(payload, settings) -> list[Job]``; it never calls GitHub.
Each module in ``HANDLER_MODULES`` exposes ``ROUTES: dict[tuple[str, str | None], Handler]``, where an
action of ``None`` matches any action of that event (and events that have none, like ``push``).
Adding a concern is one line: its module name in ``HANDLER_MODULES``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any

from bot.settings import Settings
from workers.contract import Job

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any], Settings], list[Job]]
RouteKey = tuple[str, str | None]

HANDLER_MODULES: tuple[str, ...] = (
    "bot.handlers.campaigns",
    "bot.handlers.lifecycle",
    "bot.handlers.checks",
    "bot.handlers.pulls",
    "bot.handlers.comments",
)


def merge_tables(tables: Iterable[Mapping[RouteKey, Handler]]) -> dict[RouteKey, Handler]:
    """One table from many; two modules claiming the same (event, action) is a programming error."""
    merged: dict[RouteKey, Handler] = {}
    for table in tables:
        for key, handler in table.items():
            if key in merged:
                raise ValueError(
                    f"route {key} is claimed by {merged[key].__module__} and {handler.__module__}"
                )
            merged[key] = handler
    return merged


@functools.cache
def table() -> dict[RouteKey, Handler]:
    """The merged table, built on first use (importing this module does no work)."""
    return merge_tables(import_module(name).ROUTES for name in HANDLER_MODULES)


def lookup(routes: Mapping[RouteKey, Handler], event: str, action: object) -> Handler | None:
    """The (event, action) handler, else the (event, None) one; a non-string action counts as none."""
    exact = routes.get((event, action)) if isinstance(action, str) else None
    return exact or routes.get((event, None))


def route(event: str, payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """The Jobs for one delivery; an event nobody handles gives none (logged at debug)."""
    handler = lookup(table(), event, payload.get("action"))
    if handler is None:
        log.debug("no route", extra={"event": event, "action": payload.get("action")})
        return []
    return list(handler(payload, settings))
