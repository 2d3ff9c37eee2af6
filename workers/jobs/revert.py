"""The revert PR for a merged category that broke the default branch: a real `git revert`, never a force-push."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from bot import gitops, markers
from bot.forge.base import Forge, PullInfo, RepoInfo
from bot.rollout.actions import OpenRevert, checks_table

log = logging.getLogger(__name__)

#: history fetched from the default branch head; the merge commit must be within it
REVERT_DEPTH = 100
REVERT_TITLE = "Revert {title}"
REVERT_BODY = (
    "The default branch broke after #{number} was merged: required checks failed on {sha}.\n\n{table}\n\n"
    "This reverts {sha} with `git revert`. The campaign is paused while this PR exists.\n\n{marker}"
)


def open_revert(forge: Forge, repo: RepoInfo, original: PullInfo, action: OpenRevert,
                workdir: str | Path | None = None) -> PullInfo | None:
    """The revert PR of `action.merge_sha`, found or opened; None when a maintainer closed it unmerged.

    Order: find PR -> push branch (unless the bot already pushed it) -> open PR -> labels. A run that
    stopped after the push reuses the branch, so a second revert commit is never made.
    """
    branch = markers.revert_branch_name(action.campaign, action.category)
    existing = forge.find_pull(repo.full_name, branch)
    if existing is not None:
        return None if existing.state == "closed" and not existing.merged else existing
    _push_revert(forge, repo, branch, action.merge_sha, workdir)
    marker = markers.render_marker(markers.PullMarker(action.campaign, action.category, action.merge_sha, "revert"))
    body = REVERT_BODY.format(number=original.number, sha=action.merge_sha,
                              table=checks_table(action.failing), marker=marker)
    pull = forge.open_pull(repo.full_name, head=branch, base=repo.default_branch,
                           title=REVERT_TITLE.format(title=original.title), body=body, draft=False)
    forge.add_labels(repo.full_name, pull.number, (markers.LABEL_BOT, markers.campaign_label(action.campaign)))
    log.info("revert opened", extra={"repo": repo.full_name, "pull": pull.number, "reverts": action.merge_sha})
    return pull


def _push_revert(forge: Forge, repo: RepoInfo, branch: str, merge_sha: str, workdir: str | Path | None) -> None:
    """Clones the default branch in a fresh temporary folder (removed afterwards), reverts `merge_sha` on
    `branch` and pushes it with a lease that the branch is absent: the default branch is never pushed."""
    auth = gitops.GitAuth(forge.git_token(repo.full_name))
    tmp = Path(tempfile.mkdtemp(prefix="migration-bot-revert-", dir=workdir))
    try:
        clone = gitops.clone(repo.clone_url, tmp / "repo", rev=repo.default_branch, auth=auth, depth=REVERT_DEPTH)
        if gitops.remote_branch_sha(clone, branch, auth=auth) is not None:
            log.info("revert branch already pushed", extra={"repo": repo.full_name, "branch": branch})
            return
        gitops.checkout_branch(clone, branch)
        gitops.revert(clone, merge_sha, f'Revert "{merge_sha[:12]}" (migration-bot: default branch broke)\n\n'
                                       f"This reverts commit {merge_sha}.")
        gitops.push(clone, branch, expected=None, auth=auth)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
