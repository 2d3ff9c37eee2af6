"""The dashboard issue's checkboxes as a plain job: restore the bot's text, check permission, act per box.

A box a maintainer ticks does what the matching comment command does on a PR (`retry`, `skip`, `rebase`,
`pause`, `resume`), plus "start now" for a waiting category, which ignores the rollout order and schedule
(a maintainer asked for that one). The issue stays the bot's: whatever a person changed in its text is
overwritten by the re-render, which also unticks every box. A box ticked without write access does nothing
but one reply on the issue saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot import markers
from bot.forge.base import Forge
from bot.rollout.state import CategoryStatus, campaign_state
from workers.contract import MIGRATE_CATEGORY, Verb
from workers.jobs import DEFAULTS, CampaignFile, JobConfig, Outcome, follow_up
from workers.jobs.commands import WRITE_PERMISSIONS, CommandComment, pause_campaign, regenerate, skip
from workers.jobs.dashboard import update_campaign_dashboard

log = logging.getLogger(__name__)

BOX_DENIED_CONCERN = "box-denied"
BOX_REPLY_CONCERN = "box"
BOX_DENIED_TEXT = ("@{author}: the dashboard's boxes need write access to this repository, so nothing was done "
                   "about `{boxes}`; the boxes are unticked again.")
NOT_WAITING_TEXT = "`{box}`: `{category}` is {status} now, so there is nothing to {what}."
UNKNOWN_BOX_TEXT = "`{box}`: no such box on this dashboard."


def dashboard_edited(forge: Forge, repo: str, number: int, campaign_id: str, author: str, ticked: Sequence[str],
                     carried_data: str | None = None, config: JobConfig = DEFAULTS) -> Outcome[list[str]]:
    """Carries out the boxes `author` ticked on dashboard issue `number`, then re-renders it (unticked).

    The result is what was done, for logs; the follow-ups are the migrations or starts the boxes asked for.
    Nothing happens when the campaign has no readable file on the default branch any more.
    """
    run = CommandComment(forge, repo, number, config, author)
    file = run.context().campaign(campaign_id)
    if file is None:
        log.info("dashboard edited, campaign unreadable", extra={"repo": repo, "campaign": campaign_id})
        return Outcome(["no campaign"])
    update_campaign_dashboard(forge, repo, file.campaign, issue=number, carried_data=carried_data)
    if ticked and forge.permission(repo, author) not in WRITE_PERMISSIONS:
        text = BOX_DENIED_TEXT.format(author=author, boxes="`, `".join(ticked))
        forge.upsert_comment(repo, number, markers.comment_marker(BOX_DENIED_CONCERN), text)
        log.info("box denied", extra={"repo": repo, "issue": number, "author": author})
        return Outcome(["denied"])
    for box in ticked:
        _tick(run, file, box)
    if run.done:
        update_campaign_dashboard(forge, repo, file.campaign)  # the new state, every box unticked
    if run.notes:
        forge.upsert_comment(repo, number, markers.comment_marker(BOX_REPLY_CONCERN), "\n\n".join(run.notes))
    log.info("boxes run", extra={"repo": repo, "issue": number, "author": author, "done": run.done})
    return Outcome(run.done or ["restored"], tuple(run.follow_ups))


def _tick(run: CommandComment, file: CampaignFile, box: str) -> None:
    action, _, name = box.partition(":")
    if action in ("pause", "resume") and not name:
        pause_campaign(run, file.campaign.id, Verb(action))
        return
    if action == "rebase-all" and not name:
        _rebase_all(run, file)
        return
    state = campaign_state(file.campaign, run.context().campaign_pulls(file.campaign.id), {})
    category = next((c for c in state.categories if c.name == name), None)
    if category is None or action not in ("start", "retry", "skip"):
        run.notes.append(UNKNOWN_BOX_TEXT.format(box=box))
        return
    if action == "start":
        if category.status is not CategoryStatus.PENDING or category.pull_number is not None:
            run.notes.append(NOT_WAITING_TEXT.format(box=box, category=name, status=category.status.value,
                                                     what="start"))
            return
        run.follow_ups.append(follow_up(MIGRATE_CATEGORY, repo=run.repo, sha=run.default_head(),
                                        campaign_path=file.path, category=name))
        run.done.append(f"start {name}")
        return
    wanted = (CategoryStatus.FAILED,) if action == "retry" else (
        CategoryStatus.OPEN, CategoryStatus.GREEN, CategoryStatus.FAILED)
    if category.status not in wanted or category.pull_number is None:
        run.notes.append(NOT_WAITING_TEXT.format(box=box, category=name, status=category.status.value, what=action))
        return
    pull = run.forge.get_pull(run.repo, category.pull_number)  # re-read right before acting
    marker = markers.parse_marker(pull.body)
    if marker is None:
        run.notes.append(UNKNOWN_BOX_TEXT.format(box=box))
        return
    if action == "retry":
        regenerate(run, pull, marker, Verb.RETRY)
    else:
        skip(run, pull, marker)


def _rebase_all(run: CommandComment, file: CampaignFile) -> None:
    """`rebase` on every open category PR of the campaign (revert PRs are left alone)."""
    for listed in run.context().campaign_pulls(file.campaign.id):
        if listed.state != "open":
            continue
        pull = run.forge.get_pull(run.repo, listed.number)
        marker = markers.parse_marker(pull.body)
        if pull.state == "open" and marker is not None and marker.kind == "pull":
            regenerate(run, pull, marker, Verb.REBASE)
