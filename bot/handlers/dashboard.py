"""Edits of a campaign's dashboard issue: ticked boxes -> DASHBOARD_EDITED (permission checked there).

Like Renovate's dependency dashboard, the issue's checkboxes are how maintainers steer from it. An edit by a
bot (the migration bot re-rendering its own issue above all) is ignored, so the bot's edits never loop. Any
other edit of the body or title is sent on even when no box changed: the job restores the bot's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import markers
from bot.payloads import IssueEditedEvent, read
from bot.settings import Settings
from workers.contract import DASHBOARD_EDITED, EVENTS_QUEUE, Job


def issues_edited(payload: Mapping[str, Any], settings: Settings) -> list[Job]:
    """One DASHBOARD_EDITED for a person's edit of a bot-labelled dashboard issue; [] for anything else."""
    event = read(IssueEditedEvent, payload)
    issue, changes, sender = event.issue, event.changes, event.sender
    if not event.repo or issue is None or issue.pull_request or markers.LABEL_BOT not in issue.label_names:
        return []
    if sender is None or sender.is_bot or not sender.login:
        return []
    if changes is None or (changes.body is None and changes.title is None):
        return []
    before = changes.body.from_ if changes.body is not None else issue.body
    after = issue.body
    campaign = markers.parse_dashboard_marker(after) or markers.parse_dashboard_marker(before)
    if campaign is None:
        return []
    kwargs = {
        "repo": event.repo,
        "installation_id": event.installation_id,
        "number": issue.number,
        "campaign": campaign,
        "author": sender.login,
        "ticked": markers.newly_ticked(before, after),
        # the bot's memory, in case the edit removed it from the body
        "carried_data": None if markers.dashboard_data_comment(after) else markers.dashboard_data_comment(before),
    }
    return [Job(DASHBOARD_EDITED, kwargs, EVENTS_QUEUE)]


ROUTES = {
    ("issues", "edited"): issues_edited,
}
