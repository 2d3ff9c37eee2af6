"""CI-gated rollout as pure decisions: campaign state from GitHub, check verdicts, actions to take."""

from __future__ import annotations

from bot.rollout.actions import (
    Action,
    AddLabels,
    Close,
    Comment,
    Merge,
    OpenRevert,
    RemoveLabel,
    checks_table,
    main_actions,
    pull_actions,
    revert_comment,
)
from bot.rollout.state import (
    CampaignState,
    CategoryState,
    CategoryStatus,
    campaign_state,
    categories_to_start,
)
from bot.rollout.verdict import Verdict, VerdictResult, judge

__all__ = [
    "Action",
    "AddLabels",
    "CampaignState",
    "CategoryState",
    "CategoryStatus",
    "Close",
    "Comment",
    "Merge",
    "OpenRevert",
    "RemoveLabel",
    "Verdict",
    "VerdictResult",
    "campaign_state",
    "categories_to_start",
    "checks_table",
    "judge",
    "main_actions",
    "pull_actions",
    "revert_comment",
]
