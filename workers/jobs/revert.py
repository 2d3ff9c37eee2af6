"""The revert PR for a merged category that broke the default branch: a real `git revert`, never a force-push."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from bot import gitops, markers
from bot.forge.base import Forge, PullInfo, RepoInfo
from bot.rollout.actions import OpenRevert, checks_table
from workers.branches import Claim, claim_branch

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
    stopped after the push reuses the branch, so a second revert commit is never made. The PR is found by
    its marker; a revert branch name someone else holds is never pushed to (`workers.branches`).
    """
    existing = _revert_pull(forge, repo.full_name, action)
    if existing is not None:
        return None if existing.state == "closed" and not existing.merged else existing
    claim = _push_revert(forge, repo, markers.revert_branch_of(original.head_ref),  # the campaign's own prefix
                         action.merge_sha, workdir)
    branch = claim.branch
    marker = markers.render_marker(markers.PullMarker(action.campaign, action.category, action.merge_sha, "revert",
                                                      taken=claim.taken))
    body = REVERT_BODY.format(number=original.number, sha=action.merge_sha,
                              table=checks_table(action.failing), marker=marker)
    pull = forge.open_pull(repo.full_name, head=branch, base=repo.default_branch,
                           title=REVERT_TITLE.format(title=original.title), body=body, draft=False)
    forge.add_labels(repo.full_name, pull.number, (markers.LABEL_BOT, markers.campaign_label(action.campaign)))
    log.info("revert opened", extra={"repo": repo.full_name, "pull": pull.number, "reverts": action.merge_sha})
    return pull


def _revert_pull(forge: Forge, repo: str, action: OpenRevert) -> PullInfo | None:
    """The bot's newest revert PR of the category (its marker says so), on whatever branch it is."""
    found = [p for p in forge.list_pulls(repo, "")  # any branch prefix: the marker says which campaign
             if (m := markers.parse_marker(p.body)) is not None and m.kind == "revert" and m.category == action.category]
    return max(found, key=lambda p: p.number, default=None)


def _push_revert(forge: Forge, repo: RepoInfo, branch: str, merge_sha: str, workdir: str | Path | None) -> Claim:
    """Clones the default branch in a fresh temporary folder (removed afterwards), reverts `merge_sha` on
    `branch` (or a fresh name when someone else holds it) and pushes it with a lease that the branch is
    absent: the default branch is never pushed. Returns the branch used."""
    auth = gitops.GitAuth(forge.git_token(repo.full_name))
    tmp = Path(tempfile.mkdtemp(prefix="migration-bot-revert-", dir=workdir))
    try:
        clone = gitops.clone(repo.clone_url, tmp / "repo", rev=repo.default_branch, auth=auth, depth=REVERT_DEPTH)
        claim = claim_branch(forge, repo.full_name, clone, branch, auth)
        branch = claim.branch
        if gitops.remote_branch_sha(clone, branch, auth=auth) is not None:
            log.info("revert branch already pushed", extra={"repo": repo.full_name, "branch": branch})
            return claim
        gitops.checkout_branch(clone, branch)
        gitops.revert(clone, merge_sha, f'Revert "{merge_sha[:12]}" (migration-bot: default branch broke)\n\n'
                                       f"This reverts commit {merge_sha}.")
        gitops.push(clone, branch, expected=None, auth=auth)
        return claim
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
