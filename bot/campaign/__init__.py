"""The campaign file: its values (spec), its loader (load) and its published JSON Schema."""

from bot.campaign.globs import category_for, glob_matches
from bot.campaign.load import CampaignError, Problem, load_campaign, parse_campaign, unmatched_globs
from bot.campaign.spec import (
    AliasMode,
    CallRule,
    Campaign,
    Category,
    CodemodRule,
    MoveRule,
    RenameRule,
    Rollback,
    Rollout,
    Rule,
    Validation,
)

__all__ = [
    "AliasMode",
    "CallRule",
    "Campaign",
    "CampaignError",
    "Category",
    "CodemodRule",
    "MoveRule",
    "Problem",
    "RenameRule",
    "Rollback",
    "Rollout",
    "Rule",
    "Validation",
    "category_for",
    "glob_matches",
    "load_campaign",
    "parse_campaign",
    "unmatched_globs",
]
