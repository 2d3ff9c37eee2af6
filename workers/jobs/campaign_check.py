"""The campaign check: every campaign file a push touched, loaded and reported as the `migration-bot/campaign`
check run on that commit, with an annotation at file:line for each problem the loader finds.

A broken campaign thus fails the pull request that brings it, before it is merged (as Renovate checks its
configuration). On the default branch the check also speaks where maintainers look: a broken campaign's
dashboard says "Action required" with its errors, and a removed campaign's dashboard says it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot import markers
from bot.campaign.load import CampaignError, Problem, is_campaign_file, parse_campaign
from bot.forge.base import Annotation, CheckReport, Forge
from bot.rollout.dashboard import REMOVED_WHY
from workers.jobs import DEFAULTS, JobConfig
from workers.jobs.dashboard import report_broken_campaign, update_campaign_dashboard
from workers.jobs.migrate import campaign_paths

log = logging.getLogger(__name__)

CHECK_NAME = "migration-bot/campaign"
CLEAN_TITLE = "Campaign files are valid"
BROKEN_TITLE = "{count} problem(s) in the campaign files"


@dataclass(frozen=True)
class CampaignChecked:
    """What the check said: its conclusion (None: no campaign file to check), the files and their problems."""

    conclusion: str | None
    files: tuple[str, ...]
    problems: tuple[str, ...]
    dashboards: tuple[str, ...] = ()  #: "action-required <path>", "refreshed <path>", "stopped <path>"

    def to_json(self) -> dict[str, object]:
        return {"conclusion": self.conclusion, "files": list(self.files), "problems": list(self.problems),
                "dashboards": list(self.dashboards)}


def check_campaign(forge: Forge, repo: str, sha: str, paths: Sequence[str] | None, branch: str,
                   removed: Sequence[str] = (), before: str | None = None, config: JobConfig = DEFAULTS,
                   number: int | None = None) -> CampaignChecked:
    """Checks `paths` (None: every campaign file at `sha`; with `number`, the campaign files that pull
    request changes, for a fork's PR, whose pushes the repository never sees) and sets the check run.

    Idempotent. A file gone at `sha` is not checked; with nothing to check no check run is written. On
    the default branch, broken files' dashboards say "Action required", the existing dashboards of the
    others are brought up to date (fixed, `enabled: false`, resumed), and each of `removed` (read at
    `before`) says the campaign stopped; nothing is closed.
    """
    if number is not None:
        paths = [path for path in forge.pull_files(repo, number) if is_campaign_file(config.campaign_glob, path)]
    found: dict[str, tuple[str, CampaignError | None]] = {}
    for path in list(paths) if paths is not None else campaign_paths(forge, repo, sha, None, config.campaign_glob):
        text = forge.read_file(repo, path, sha)
        if text is not None:
            found[path] = (text, _problems(text, path))
    problems = [p for _, error in found.values() if error is not None for p in error.problems]
    conclusion = None
    if found:
        conclusion = "failure" if problems else "success"
        forge.set_check(repo, sha, _report(list(found), problems))
    dashboards: list[str] = []
    if number is None and branch == forge.repo(repo).default_branch:
        for path, (text, error) in found.items():
            if error is not None:
                report_broken_campaign(forge, repo, path, text, error)
                dashboards.append(f"action-required {path}")
            elif _refresh(forge, repo, path, text):
                dashboards.append(f"refreshed {path}")
        dashboards += [f"stopped {path}" for path in removed if _mark_stopped(forge, repo, path, before)]
    log.info("campaign checked", extra={"repo": repo, "sha": sha, "conclusion": conclusion, "files": list(found),
                                        "problems": len(problems)})
    return CampaignChecked(conclusion, tuple(found), tuple(str(p) for p in problems), tuple(dashboards))


def _problems(text: str, path: str) -> CampaignError | None:
    try:
        parse_campaign(text, source=path)
    except CampaignError as error:
        return error
    return None


def _report(files: Sequence[str], problems: Sequence[Problem]) -> CheckReport:
    if not problems:
        listed = "\n".join(f"- `{path}`" for path in files)
        return CheckReport(CHECK_NAME, "success", CLEAN_TITLE, f"Checked:\n\n{listed}\n")
    notes = tuple(Annotation(p.file, p.line, f"{p.field}: {p.message}", title=p.field) for p in problems)
    lines = "\n".join(f"- `{p}`" for p in problems)
    summary = f"Fix these and push again; until then the bot does nothing for these campaigns.\n\n{lines}\n"
    return CheckReport(CHECK_NAME, "failure", BROKEN_TITLE.format(count=len(problems)), summary, notes)


def _refresh(forge: Forge, repo: str, path: str, text: str) -> bool:
    """Re-renders the existing dashboard of a campaign that loads (fixed, stopped or resumed), so it does not
    wait for the next PR event; a campaign without one gets it from its start, which creates it."""
    campaign = parse_campaign(text, source=path)
    if forge.find_issue(repo, markers.dashboard_marker(campaign.id)) is None:
        return False
    update_campaign_dashboard(forge, repo, campaign)
    return True


def _mark_stopped(forge: Forge, repo: str, path: str, before: str | None) -> bool:
    """The removed campaign's dashboard says it stopped; False when its old text is unknown or did not load."""
    text = forge.read_file(repo, path, before) if before else None
    if text is None or _problems(text, path) is not None:
        return False
    update_campaign_dashboard(forge, repo, parse_campaign(text, source=path), stopped=REMOVED_WHY.format(path=path))
    return True
