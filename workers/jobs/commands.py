"""Maintainers' comment commands on a bot PR as a plain job: check permission, acknowledge, act per verb.

Every effect is find-or-create, so a comment delivered twice (or a retried task) does each thing once:
labels are added only when missing, a close or reopen happens only from the other state, the bot's
replies are one comment per concern edited in place, and GitHub keeps one reaction per user and content.
The work that pushes or merges is not done here: `merge` records the request (a label) and asks the
judge, which merges a green PR with the head it judged; `rebase`/`retry` ask for the category's
migration, which regenerates the branch on the new base and refuses to push over a human's commit.

Behaviour on closed PRs follows Dependabot: `rebase` on a closed PR does nothing and points at `retry`
(Dependabot's `recreate`/`reopen`); `retry` reopens a PR that is closed but not merged, keeping its
`migration:failed` label until the checks of the regenerated head pass (the judge then removes it;
if they fail again the PR stays open for the maintainer who asked), and takes a `skip` back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot import gitops, markers
from bot.forge.base import Forge, PullInfo, Retryable
from workers.contract import JUDGE_CHECKS, MIGRATE_CATEGORY, START_CAMPAIGN, Job, Verb, help_text
from workers.jobs import DEFAULTS, JobConfig, Outcome, follow_up
from workers.jobs.rollout import Context, make_context

log = logging.getLogger(__name__)

#: repository permissions that may command the bot (GitHub's "write" and above)
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
ACCEPTED_REACTION = "+1"
DENIED_REACTION = "-1"
CONFUSED_REACTION = "confused"

#: comment concerns: one bot comment each per PR, edited in place
DENIED_CONCERN = "command-denied"
HELP_CONCERN = "command-help"
REPLY_CONCERN = "command"

DENIED_TEXT = ("@{author}: commands to the bot need write access to this repository, so nothing was done "
               "about `{verbs}`.")
HELP_TEXT = "Commands go on a line of their own at the start of a comment (write access needed):\n\n{verbs}"
UNKNOWN_TEXT = "I did not understand that command.\n\n"
NOT_CAMPAIGN_TEXT = ("`{verb}`: this pull request has no readable migration-bot marker in its description (or "
                     "its branch is not the bot's), so it is not a campaign pull request the bot can act on.")
MERGED_TEXT = "`{verb}`: this pull request is already merged; nothing to do."
CLOSED_MERGE_TEXT = "`merge`: this pull request is closed; `@{bot} retry` reopens and regenerates it."
CLOSED_REBASE_TEXT = "`rebase`: this pull request is closed; `@{bot} retry` reopens and regenerates it."
REVERT_TEXT = "`{verb}`: this is a revert pull request; only `merge` and `cancel-merge` apply to it."
NO_CAMPAIGN_TEXT = ("`{verb}`: the campaign `{campaign}` has no readable file on the default branch, so the "
                    "bot cannot regenerate or move on.")
FAILED_TEXT = "The bot could not run the command:\n\n```\n{reason}\n```"


@dataclass
class CommandComment:
    """One command comment being carried out; `notes` become the one reply comment at the end."""

    forge: Forge
    repo: str
    number: int
    config: JobConfig
    done: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    follow_ups: list[Job] = field(default_factory=list)
    _context: Context | None = None

    @property
    def bot_name(self) -> str:
        return self.config.bot_name

    def context(self) -> Context:
        if self._context is None:
            self._context = make_context(self.forge, self.repo, self.config)
        return self._context

    def campaign_path(self, campaign_id: str) -> str | None:
        file = self.context().campaign(campaign_id)
        return file.path if file else None

    def default_head(self) -> str:
        """The default branch's head sha now (the new base a regenerated branch is built on)."""
        info = self.context().repo
        return branch_head(info.clone_url, info.default_branch, self.forge.git_token(self.repo))


def branch_head(url: str, branch: str, token: str | None) -> str:
    """`branch`'s sha on the remote at `url` (one ls-remote; the forge has no branch read)."""
    auth = gitops.GitAuth(token)
    try:
        out = gitops.run_git(["ls-remote", "--heads", url, f"refs/heads/{branch}"], auth=auth)
    except gitops.GitError as error:
        raise Retryable(f"could not read the head of {branch}: {error}", after_s=5) from None
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    raise Retryable(f"the default branch {branch} was not found", after_s=30)


def _verbs(commands: Sequence[str]) -> list[Verb]:
    known = {verb.value for verb in Verb}
    return list(dict.fromkeys(Verb(c) if c in known else Verb.UNKNOWN for c in commands))


def run_command(forge: Forge, repo: str, number: int, comment_id: int, author: str, commands: Sequence[str],
                config: JobConfig = DEFAULTS) -> Outcome[list[str]]:
    """Carries out `commands` (verb strings) from `author`'s comment `comment_id` on PR `number`.

    Without write access: a -1 reaction and one reply saying so, nothing else. Otherwise a +1 (or
    `confused` when no verb was understood), then each verb in order. The result is what was done, for
    logs; the follow-ups are the judge or migration runs the verbs asked for.
    """
    verbs = _verbs(commands)
    if forge.permission(repo, author) not in WRITE_PERMISSIONS:
        forge.add_reaction(repo, comment_id, DENIED_REACTION)
        text = DENIED_TEXT.format(author=author, verbs="`, `".join(v.value for v in verbs))
        forge.upsert_comment(repo, number, markers.comment_marker(DENIED_CONCERN), text)
        log.info("command denied", extra={"repo": repo, "pull": number, "author": author})
        return Outcome(["denied"])
    understood = any(v is not Verb.UNKNOWN for v in verbs)
    forge.add_reaction(repo, comment_id, ACCEPTED_REACTION if understood else CONFUSED_REACTION)
    run = CommandComment(forge, repo, number, config)
    for verb in verbs:
        _carry_out(run, verb)
    if run.notes:
        forge.upsert_comment(repo, number, markers.comment_marker(REPLY_CONCERN), "\n\n".join(run.notes))
    log.info("commands run", extra={"repo": repo, "pull": number, "author": author, "done": run.done})
    return Outcome(run.done, tuple(run.follow_ups))


def _carry_out(run: CommandComment, verb: Verb) -> None:
    if verb in (Verb.HELP, Verb.UNKNOWN):
        _help(run, verb)
        return
    pull = run.forge.get_pull(run.repo, run.number)  # re-read right before acting
    marker = markers.parse_marker(pull.body)
    if marker is None or markers.parse_branch(pull.head_ref) is None:  # a marker pasted into someone's PR
        run.notes.append(NOT_CAMPAIGN_TEXT.format(verb=verb.value))
        return
    if marker.kind != "pull" and verb not in (Verb.MERGE, Verb.CANCEL_MERGE):
        run.notes.append(REVERT_TEXT.format(verb=verb.value))
        return
    _ACTIONS[verb](run, pull, marker)


def _help(run: CommandComment, verb: Verb) -> None:
    text = HELP_TEXT.format(verbs=help_text(run.bot_name))
    if verb is Verb.UNKNOWN:
        text = UNKNOWN_TEXT + text
    run.forge.upsert_comment(run.repo, run.number, markers.comment_marker(HELP_CONCERN), text)
    run.done.append(verb.value)


def _merge(run: CommandComment, pull: PullInfo, marker: markers.PullMarker) -> None:
    """Records the request; the judge merges once the required checks pass on the head it judged."""
    if pull.merged:
        run.notes.append(MERGED_TEXT.format(verb=Verb.MERGE.value))
        return
    if pull.state != "open":
        run.notes.append(CLOSED_MERGE_TEXT.format(bot=run.bot_name))
        return
    run.forge.add_labels(run.repo, pull.number, [markers.LABEL_MERGE_REQUESTED])
    run.follow_ups.append(follow_up(JUDGE_CHECKS, repo=run.repo, sha=pull.head_sha))
    run.done.append("merge-requested")


def _cancel_merge(run: CommandComment, pull: PullInfo, marker: markers.PullMarker) -> None:
    if markers.LABEL_MERGE_REQUESTED in pull.labels:
        run.forge.remove_label(run.repo, pull.number, markers.LABEL_MERGE_REQUESTED)
    run.done.append("merge-cancelled")


def _regenerate(run: CommandComment, pull: PullInfo, marker: markers.PullMarker, verb: Verb) -> None:
    """MIGRATE_CATEGORY at the default branch's head; `retry` first reopens a closed, unmerged PR."""
    if pull.merged:
        run.notes.append(MERGED_TEXT.format(verb=verb.value))
        return
    if pull.state != "open" and verb is Verb.REBASE:
        run.notes.append(CLOSED_REBASE_TEXT.format(bot=run.bot_name))
        return
    path = run.campaign_path(marker.campaign)
    if path is None:
        run.notes.append(NO_CAMPAIGN_TEXT.format(verb=verb.value, campaign=marker.campaign))
        return
    head = run.default_head()
    if pull.state != "open":
        if markers.LABEL_SKIPPED in pull.labels:
            run.forge.remove_label(run.repo, pull.number, markers.LABEL_SKIPPED)
        run.forge.edit_pull(run.repo, pull.number, state="open")
        run.done.append("reopen")
    run.follow_ups.append(follow_up(MIGRATE_CATEGORY, repo=run.repo, sha=head, campaign_path=path,
                                    category=marker.category))
    run.done.append(verb.value)


def _skip(run: CommandComment, pull: PullInfo, marker: markers.PullMarker) -> None:
    """Label first, then close: a run stopped between the two is finished by the next, and a closed PR
    without the label would count as failed and block a sequential rollout."""
    if pull.merged:
        run.notes.append(MERGED_TEXT.format(verb=Verb.SKIP.value))
        return
    path = run.campaign_path(marker.campaign)
    if path is None:
        run.notes.append(NO_CAMPAIGN_TEXT.format(verb=Verb.SKIP.value, campaign=marker.campaign))
        return
    run.forge.add_labels(run.repo, pull.number, [markers.LABEL_SKIPPED])
    if pull.state == "open":
        run.forge.edit_pull(run.repo, pull.number, state="closed")
        run.done.append("close")
    run.follow_ups.append(follow_up(START_CAMPAIGN, repo=run.repo, sha=run.default_head(), path=path))
    run.done.append("skip")


_ACTIONS: dict[Verb, Callable[[CommandComment, PullInfo, markers.PullMarker], None]] = {
    Verb.MERGE: _merge,
    Verb.CANCEL_MERGE: _cancel_merge,
    Verb.REBASE: lambda run, pull, marker: _regenerate(run, pull, marker, Verb.REBASE),
    Verb.RETRY: lambda run, pull, marker: _regenerate(run, pull, marker, Verb.RETRY),
    Verb.SKIP: _skip,
}


def comment_command_failure(forge: Forge, repo: str, number: int, reason: str) -> None:
    """Says a permanent failure (GitHub refused a reopen, say) in the command reply comment."""
    forge.upsert_comment(repo, number, markers.comment_marker(REPLY_CONCERN), FAILED_TEXT.format(reason=reason))
