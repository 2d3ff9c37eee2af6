"""A campaign driven through the fake GitHub over five days, the dashboard job recording each change.

The bot's PRs are arranged on the fake (branch, bot commit, PR with its validation summary, labels,
merged flag) as the jobs leave them; after each step the real dashboard job runs over HTTP with that
step's timestamp, so the dashboard issue holds the history and timeline the web page draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import markers
from bot.forge.github import GitHubForge
from bot.rollout.dashboard import parse_data
from tests.fake_github import bare
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import BOT_LOGIN, Pull
from workers.jobs.dashboard import update_dashboard

REPO = "octo/platform"
CAMPAIGN_ID = "execution-engine-ssot"
CAMPAIGN_PATH = ".github/migrations/execution-engine.yml"
TITLE = "Migrate ExecutionEngine to UserExecutionEngine"
CAMPAIGN = f"""\
campaign: {CAMPAIGN_ID}
title: {TITLE}
rules:
  - move: app.agents.execution_engine.ExecutionEngine
    to: app.agents.user_execution_engine.UserExecutionEngine
categories:
  - {{name: mission-critical, priority: 0, paths: ["tests/mission_critical/**/*.py"]}}
  - {{name: integration, priority: 1, paths: ["tests/integration/**/*.py"]}}
  - {{name: e2e, priority: 2, paths: ["tests/e2e/**/*.py"]}}
  - {{name: unit, priority: 3, paths: ["tests/unit/**/*.py"]}}
  - {{name: tools, priority: 4, paths: ["tools/**/*.py"]}}
rollout: {{order: parallel, max_open: 5, required_checks: [ci]}}
"""
#: category -> (files changed, references removed, left in its files)
TOTALS = {"mission-critical": (25, 58, 0), "integration": (31, 87, 2), "e2e": (22, 65, 0), "unit": (24, 57, 3),
          "tools": (6, 14, 1)}
BOT_AUTHOR = ("migration-bot[bot]", markers.BOT_EMAIL)

#: (timestamp, [(action, category)]): open, green, fail, merge
STEPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("2026-03-02T09:02:00Z", [("open", "mission-critical")]),
    ("2026-03-02T09:05:00Z", [("open", "integration")]),
    ("2026-03-02T09:08:00Z", [("open", "e2e")]),
    ("2026-03-02T09:11:00Z", [("open", "unit")]),
    ("2026-03-02T09:14:00Z", [("open", "tools")]),
    ("2026-03-02T10:20:00Z", [("green", "mission-critical")]),
    ("2026-03-02T10:45:00Z", [("fail", "integration")]),
    ("2026-03-02T15:10:00Z", [("merge", "mission-critical")]),
    ("2026-03-03T10:05:00Z", [("open", "integration"), ("green", "e2e")]),
    ("2026-03-03T13:30:00Z", [("merge", "e2e")]),
    ("2026-03-04T09:40:00Z", [("green", "integration")]),
    ("2026-03-04T16:00:00Z", [("merge", "integration")]),
    ("2026-03-05T11:15:00Z", [("fail", "tools")]),
    ("2026-03-06T09:30:00Z", [("green", "unit"), ("open", "tools")]),
]


@dataclass(frozen=True)
class Story:
    repo: str
    campaign_id: str
    issue_number: int
    points: int  #: history points the dashboard recorded
    statuses: dict[str, str]  #: category -> status shown in the end


def summary(category: str) -> str:
    """A validation summary shaped like the bot's (see bot/engine/report.py), with the Totals it parses."""
    files, removed, left = TOTALS[category]
    folder = "tools" if category == "tools" else f"tests/{category.replace('-', '_')}"
    rows = "\n".join(f"| `{folder}/test_engine_{i}.py` | {removed // files + (i < removed % files)} | "
                     f"{1 if i < left else 0} | - | yes |" for i in range(files))
    return (f"## {TITLE}: `{category}`\n\nCampaign `{CAMPAIGN_ID}`, category `{category}`. "
            f"Validation **passed**.\n\n### Files\n\n| File | References removed | References left | "
            f"Unmappable calls | Compiles |\n| --- | ---: | ---: | --- | :---: |\n{rows}\n\n### Totals\n\n"
            f"- files changed: {files}\n- references removed: {removed}, left in changed files: {left}\n"
            f"- unmappable calls: 0\n- new test failures: 0\n")


def _open(fake: FakeGitHub, category: str) -> Pull:
    repo = fake.repo(REPO)
    branch = markers.branch_name(CAMPAIGN_ID, category)
    base = fake.branch_sha(REPO, "main")
    assert base
    bare.update_ref(repo.bare, f"refs/heads/{branch}", base)
    bare.commit_files(repo.bare, branch, {f"{category}.txt": "migrated\n"}, f"[migration] {category}", BOT_AUTHOR)
    body = summary(category) + "\n" + markers.render_marker(markers.PullMarker(CAMPAIGN_ID, category, base))
    pull = fake.open_pull(REPO, branch, "main", f"[migration] {TITLE}: {category}", body, BOT_LOGIN)
    pull.labels += [markers.LABEL_BOT, markers.campaign_label(CAMPAIGN_ID)]
    return pull


def _latest(fake: FakeGitHub, category: str) -> Pull:
    branch = markers.branch_name(CAMPAIGN_ID, category)
    return [p for p in fake.pulls(REPO) if p.head == branch][-1]


def _act(fake: FakeGitHub, action: str, category: str, at: str) -> None:
    if action == "open":
        _open(fake, category)
        return
    pull = _latest(fake, category)
    if action == "green":
        pull.labels.append(markers.LABEL_GREEN)
    elif action == "fail":
        pull.labels.append(markers.LABEL_FAILED)
        pull.state, pull.closed_at = "closed", at
    elif action == "merge":
        pull.state, pull.merged, pull.merged_at, pull.closed_at = "closed", True, at, at
        pull.merge_commit_sha = pull.head_sha


def drive(fake: FakeGitHub, forge: GitHubForge, steps: int | None = None) -> Story:
    """Creates the repository and plays `steps` steps (all by default), the dashboard job after each."""
    fake.create_repo(REPO, {CAMPAIGN_PATH: CAMPAIGN, "README.md": "# platform\n"})
    update = None
    for at, actions in STEPS[:steps]:
        with fake.lock:
            for action, category in actions:
                _act(fake, action, category, at)
        update = update_dashboard(forge, REPO, CAMPAIGN_PATH, now=at)
    assert update is not None
    [issue] = [i for i in fake.issues(REPO) if i.number == update.number]
    final = {c: _latest(fake, c) for c in TOTALS}
    statuses = {c: "merged" if p.merged else "failed" if markers.LABEL_FAILED in p.labels
                else "green" if markers.LABEL_GREEN in p.labels else "open" for c, p in final.items()}
    return Story(REPO, CAMPAIGN_ID, update.number, len(parse_data(issue.body).history), statuses)
