"""The campaign file: its values (spec), its loader (load) and its published JSON Schema.

The names below load on first use: the engine's worker processes need the values (`spec`) and never the
loader, whose pydantic and YAML would cost each of them memory and start-up time.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "category_for": "globs", "glob_matches": "globs",
    "CampaignError": "load", "Problem": "load", "load_campaign": "load", "parse_campaign": "load",
    "unmatched_globs": "load",
    **dict.fromkeys(("AliasMode", "CallRule", "Campaign", "Category", "CodemodRule", "MoveRule", "RenameRule",
                     "Rollback", "Rollout", "Rule", "Validation"), "spec"),
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bot.campaign' has no attribute {name!r}")
    return getattr(import_module(f"bot.campaign.{home}"), name)
