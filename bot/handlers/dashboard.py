"""Edits of a campaign's dashboard issue: ticked boxes -> DASHBOARD_EDITED (permission checked there).

Like Renovate's dependency dashboard, the issue's checkboxes are how maintainers steer from it. An edit by a
bot (the migration bot re-rendering its own issue above all) is ignored, so the bot's edits never loop. Any
other edit of the body or title is sent on even when no box changed: the job restores the bot's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import markers
from bot.settings import Settings
from workers.contract import DASHBOARD_EDITED, EVENTS_QUEUE, Job


def _label_names(issue: Mapping[str, Any]) -> set[str]:
    return {label.get("name") for label in issue.get("labels") or () if isinstance(label, Mapping)}


def _is_bot(user: Mapping[str, Any]) -> bool:
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def issues_edited(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """One DASHBOARD_EDITED for a person's edit of a bot-labelled dashboard issue; [] for anything else."""
    issue = payload.get("issue") or {}
    repo = (payload.get("repository") or {}).get("full_name")
    changes = payload.get("changes") or {}
    sender = payload.get("sender") or {}
    if not repo or issue.get("pull_request") or markers.LABEL_BOT not in _label_names(issue):
        return []
    if _is_bot(sender) or not sender.get("login") or not isinstance(issue.get("number"), int):
        return []
    if not isinstance(changes, Mapping) or not ({"body", "title"} & set(changes)):
        return []
    before = (changes.get("body") or {}).get("from") if "body" in changes else issue.get("body")
    after = issue.get("body")
    campaign = markers.parse_dashboard_marker(after) or markers.parse_dashboard_marker(before)
    if campaign is None:
        return []
    kwargs = {
        "repo": repo,
        "installation_id": (payload.get("installation") or {}).get("id"),
        "number": issue["number"],
        "campaign": campaign,
        "author": sender["login"],
        "ticked": markers.newly_ticked(before, after),
        # the bot's memory, in case the edit removed it from the body
        "carried_data": None if markers.dashboard_data_comment(after) else markers.dashboard_data_comment(before),
    }
    return [Job(DASHBOARD_EDITED, kwargs, EVENTS_QUEUE)]


ROUTES = {
    ("issues", "edited"): issues_edited,
}
