"""Whose PR is it: someone else's PR on a bot branch name is ignored by every path, over HTTP on the fake GitHub.

Four foreign PRs, each breaking the rule one way (a fork, another author, no marker, a fork with a pasted
marker), all labelled like the bot's and green: the check webhook and its judge, pull_closed, reconcile
and the dashboard leave them alone, they never count for the campaign, and a branch name one of them
holds is never pushed over (the bot opens its own PR on a fresh name, found again on a re-run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import markers
from bot.forge.base import is_bot_pull
from bot.forge.github import GitHubForge
from bot.handlers import checks
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.builders_checks import APP_SLUG
from tests.fake_github.fixtures import APP_ID, AppKey
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import BOT_LOGIN
from tests.payloads.build import build
from tests.rollout_world import CAMPAIGN_PATH, FOREIGN_KINDS, MALLORY, REPO, World, make_world
from workers.contract import JUDGE_CHECKS, MIGRATE_CATEGORY, RUN_COMMAND, START_CAMPAIGN
from workers.jobs import JobConfig, Outcome, migrate
from workers.jobs import commands as command_jobs
from workers.jobs import rollout as rollout_jobs
from workers.jobs.dashboard import update_dashboard

CORE = markers.branch_name("mig", "core")
OPEN_PULL = "POST /repos/{owner}/{repo}/pulls"
SOURCE = "from old.mod import Engine\n\nEngine()\n"


@pytest.fixture
def world(fake_github: FakeGitHub) -> World:
    made = make_world(fake_github, automerge=True, auto_revert_merge=True)
    for category in ("core", "api", "web"):
        fake_github.commit_file(REPO, "main", f"{category}/mod.py", SOURCE, message=f"{category} code")
    return made


def writes(fake: FakeGitHub) -> list[str]:
    """REST writes the bot made so far (git pushes are not REST)."""
    return [r.operation for r in fake.requests if r.method != "GET" and not r.operation.endswith(" git")]


def check_webhook_jobs(world: World, sha: str, branch: str) -> list[Any]:
    payload = build("check_run.completed", {"repository.full_name": REPO, "repository.default_branch": "main",
                                            "check_run.head_sha": sha, "check_run.check_suite.head_branch": branch})
    return checks.ROUTES[("check_run", "completed")](payload, Settings())


def run_jobs(world: World, tmp_path: Path, outcome: Outcome[Any]) -> None:
    """Runs `outcome`'s follow-ups (start, migrate) and theirs, as the worker would."""
    config = JobConfig(workdir=tmp_path)
    pending = list(outcome.follow_ups)
    while pending:
        job = pending.pop(0)
        kwargs = job.kwargs
        if job.task == START_CAMPAIGN:
            pending += migrate.start_campaign(world.forge, REPO, kwargs["sha"], kwargs["path"], config).follow_ups
        elif job.task == MIGRATE_CATEGORY:
            migrate.migrate_category(world.forge, REPO, kwargs["sha"], kwargs["campaign_path"], kwargs["category"],
                                     config)


@pytest.mark.parametrize("kind", FOREIGN_KINDS)
def test_the_rule_names_each_foreign_pull(world: World, kind: str) -> None:
    foreign = world.open_foreign_pull(kind)
    own = world.open_bot_pull("api")
    assert not is_bot_pull(world.forge.get_pull(REPO, foreign.number), REPO, world.forge.bot_login())
    assert is_bot_pull(world.forge.get_pull(REPO, own.number), REPO, world.forge.bot_login())
    assert [p.number for p in world.forge.list_pulls(REPO, markers.BRANCH_PREFIX)] == [own.number]
    assert world.forge.find_pull(REPO, CORE) is None


@pytest.mark.parametrize("kind", FOREIGN_KINDS)
def test_a_green_foreign_pull_is_never_judged_or_merged(world: World, kind: str) -> None:
    """Automerge is on and the PR asks for a merge, green; the check webhook's judge does nothing at all."""
    foreign = world.open_foreign_pull(kind)
    world.check(foreign.head_sha, "success")
    before = writes(world.fake)
    jobs = check_webhook_jobs(world, foreign.head_sha, CORE)
    assert [job.task for job in jobs] == [JUDGE_CHECKS]  # the branch name alone says nothing yet
    for job in jobs:
        assert rollout_jobs.judge_checks(world.forge, REPO, job.kwargs["sha"]) == []
    assert writes(world.fake) == before
    after = world.pull(foreign.number)
    assert after.state == "open" and not after.merged and markers.LABEL_GREEN not in after.labels


@pytest.mark.parametrize("kind", FOREIGN_KINDS)
def test_a_closed_foreign_pull_fails_nothing_and_the_bot_opens_its_own(world: World, tmp_path: Path,
                                                                       kind: str) -> None:
    foreign = world.open_foreign_pull(kind)
    world.fake.pull(REPO, foreign.number).state = "closed"
    held = world.fake.branch_sha(REPO, CORE)

    assert rollout_jobs.pull_closed(world.forge, REPO, foreign.number) == Outcome([])
    outcome = rollout_jobs.reconcile_repo(world.forge, REPO, JobConfig(workdir=tmp_path))
    assert [job.task for job in outcome.follow_ups] == [START_CAMPAIGN]  # core is still to do, not failed
    run_jobs(world, tmp_path, outcome)

    [own] = [p for p in world.fake.pulls(REPO) if p.user == BOT_LOGIN and markers.parse_marker(p.body)
             and p.head_repo is None]
    # mallory's commits hold the name; a fork holds no branch here, nor do the bot's own commits once closed
    taken = kind == "other-author"
    assert own.head == (CORE + "-2" if taken else CORE)
    if taken:
        assert world.fake.branch_sha(REPO, CORE) == held  # never pushed over
    assert world.pull(foreign.number).state == "closed" and not world.pull(foreign.number).merged


@pytest.mark.parametrize("kind", FOREIGN_KINDS)
def test_reconcile_and_the_dashboard_leave_an_open_foreign_pull_out(world: World, tmp_path: Path,
                                                                    kind: str) -> None:
    foreign = world.open_foreign_pull(kind)
    world.check(foreign.head_sha, "success")
    fake_revert = world.open_foreign_pull(kind, category="api-revert") if kind != "no-marker" else None
    outcome = rollout_jobs.reconcile_repo(world.forge, REPO, JobConfig(workdir=tmp_path))
    assert [job.task for job in outcome.follow_ups] == [START_CAMPAIGN]  # not paused by a "-revert" branch
    assert all(world.pull(p.number).state == "open" and not world.pull(p.number).merged
               for p in (foreign, fake_revert) if p is not None)
    assert world.comments(foreign.number) == []

    update_dashboard(world.forge, REPO, CAMPAIGN_PATH)
    [issue] = world.fake.issues(REPO)
    assert f"#{foreign.number}" not in issue.body and "| `core` | pending | - |" in issue.body
    assert "Paused" not in issue.body


def test_a_taken_branch_gets_a_fresh_name_said_on_the_pull_and_dashboard(world: World, tmp_path: Path) -> None:
    """A human pushed to the core branch name (no PR): the bot never pushes there, nor stalls."""
    bare.update_ref(world.bare, f"refs/heads/{CORE}", world.main())
    human = world.fake.commit_file(REPO, CORE, "core/notes.txt", "mine\n", message="my own work")
    config = JobConfig(workdir=tmp_path)

    first = migrate.migrate_category(world.forge, REPO, world.main(), CAMPAIGN_PATH, "core", config)
    assert isinstance(first, migrate.PullOpened) and first.branch == CORE + "-2"
    assert world.fake.branch_sha(REPO, CORE) == human
    body = world.pull(first.number).body
    assert f"`{CORE}` (commits by {bare.HUMAN[1]})" in body and f"uses `{CORE}-2`" in body
    [issue] = world.fake.issues(REPO)
    assert f"- `core`: the branch `{CORE}` (commits by {bare.HUMAN[1]}) is someone else's; " \
           f"the bot's PR #{first.number} is on `{CORE}-2`." in issue.body
    assert f"| `core` | open | [#{first.number}]" in issue.body

    again = migrate.migrate_category(world.forge, REPO, world.main(), CAMPAIGN_PATH, "core", config)
    assert isinstance(again, migrate.PullUpdated) and again.number == first.number and not again.pushed
    assert world.pull(first.number).body == body  # what it says about the taken name stays
    assert len(world.fake.pulls(REPO)) == 1 and world.fake.branch_sha(REPO, CORE) == human


def test_a_run_stopped_after_its_push_finds_the_fresh_name_again(world: World, tmp_path: Path) -> None:
    bare.update_ref(world.bare, f"refs/heads/{CORE}", world.main())
    world.fake.commit_file(REPO, CORE, "core/notes.txt", "mine\n")
    world.fake.fail(OPEN_PULL, status=502)
    config = JobConfig(workdir=tmp_path)
    with pytest.raises(Exception, match="502|open a pull request"):
        migrate.migrate_category(world.forge, REPO, world.main(), CAMPAIGN_PATH, "core", config)
    pushed = world.fake.branch_sha(REPO, CORE + "-2")
    assert pushed is not None and world.fake.pulls(REPO) == []

    result = migrate.migrate_category(world.forge, REPO, world.main(), CAMPAIGN_PATH, "core", config)
    assert isinstance(result, migrate.PullOpened) and result.branch == CORE + "-2"
    assert world.fake.branch_sha(REPO, CORE + "-3") is None and len(world.fake.pulls(REPO)) == 1


def test_someone_elses_open_pull_holds_its_branch_name(world: World, tmp_path: Path) -> None:
    """Mallory opened a PR from the bot's branch name holding only the bot's old commit: still hers."""
    foreign = world.open_foreign_pull("other-author")
    config = JobConfig(workdir=tmp_path)
    result = migrate.migrate_category(world.forge, REPO, world.main(), CAMPAIGN_PATH, "core", config)
    assert isinstance(result, migrate.PullOpened) and result.branch == CORE + "-2"
    assert f"@{MALLORY}'s #{foreign.number}" in world.pull(result.number).body


# -- comment commands Redis lost: found again by reconcile ---------------------------------------------------

def reconcile_commands(world: World, tmp_path: Path) -> list[dict[str, Any]]:
    outcome = rollout_jobs.reconcile_repo(world.forge, REPO, JobConfig(workdir=tmp_path))
    return [dict(job.kwargs) for job in outcome.follow_ups if job.task == RUN_COMMAND]


def test_reconcile_runs_a_command_the_bot_never_reacted_to_once(world: World, tmp_path: Path) -> None:
    world.fake.set_permission(REPO, "alice", "write")
    own = world.open_bot_pull("core")
    lost = world.fake.create_comment(REPO, own.number, "@migration-bot merge", "alice")  # its task was lost
    world.fake.create_comment(REPO, own.number, "LGTM", "alice")
    world.fake.create_comment(REPO, own.number, "@migration-bot skip", BOT_LOGIN)  # the bot's own, token mode
    world.fake.create_comment(REPO, own.number, "@migration-bot skip", "renovate[bot]")  # bots never command

    [found] = reconcile_commands(world, tmp_path)
    assert found == {"repo": REPO, "number": own.number, "comment_id": lost, "author": "alice",
                     "commands": ["merge"]}
    outcome = command_jobs.run_command(world.forge, REPO, found["number"], found["comment_id"], found["author"],
                                       found["commands"])
    assert outcome.result == ["merge-requested"]
    assert markers.LABEL_MERGE_REQUESTED in world.pull(own.number).labels
    assert reconcile_commands(world, tmp_path) == []  # the bot's reaction says it was taken
    assert world.pull(own.number).state == "open"


def test_a_refused_command_is_not_run_again(world: World, tmp_path: Path) -> None:
    world.fake.set_permission(REPO, "eve", "read")
    own = world.open_bot_pull("core")
    comment = world.fake.create_comment(REPO, own.number, "@migration-bot skip", "eve")
    [found] = reconcile_commands(world, tmp_path)
    assert found["comment_id"] == comment
    assert command_jobs.run_command(world.forge, REPO, own.number, comment, "eve", ["skip"]).result == ["denied"]
    assert reconcile_commands(world, tmp_path) == [] and world.pull(own.number).state == "open"


@pytest.mark.parametrize("kind", FOREIGN_KINDS)
def test_commands_on_foreign_pulls_are_not_recovered(world: World, tmp_path: Path, kind: str) -> None:
    foreign = world.open_foreign_pull(kind)
    world.fake.create_comment(REPO, foreign.number, "@migration-bot merge", "alice")
    assert reconcile_commands(world, tmp_path) == []


# -- who the bot is: read once per forge -----------------------------------------------------------------------

def test_the_apps_login_comes_from_get_app_once(fake_github: FakeGitHub, github_app_key: AppKey) -> None:
    fake_github.create_repo(REPO)
    settings = Settings(app_id=APP_ID, private_key=github_app_key.private_pem, api_url=fake_github.api_url)
    forge = GitHubForge(settings, fake_github.repo(REPO).installation_id)
    assert forge.bot_login() == forge.bot_login() == f"{APP_SLUG}[bot]"
    assert fake_github.count("GET /app") == 1 and fake_github.count("GET /user") == 0


def test_the_tokens_login_comes_from_get_user_once(fake_github: FakeGitHub) -> None:
    fake_github.add_token("ghp_someone", "someone")
    forge = GitHubForge(Settings(token="ghp_someone", api_url=fake_github.api_url), None)
    assert forge.bot_login() == forge.bot_login() == "someone"
    assert fake_github.count("GET /user") == 1


def test_the_lost_command_search_costs_conditional_reads_only(world: World, tmp_path: Path) -> None:
    """Per open bot PR one comment list, plus one reaction list per command comment that has reactions;
    on an idle tick GitHub answers each 304 (not counted against the rate limit)."""
    for category in ("core", "api"):
        own = world.open_bot_pull(category)
        world.check(own.head_sha, None)  # pending: nothing to do
        taken = world.fake.create_comment(REPO, own.number, "@migration-bot help", "alice")
        world.fake.find_comment(taken)[1].reactions.append((BOT_LOGIN, "+1"))  # type: ignore[index]
        world.fake.create_comment(REPO, own.number, "LGTM", "alice")
    config = JobConfig(workdir=tmp_path)
    rollout_jobs.reconcile_repo(world.forge, REPO, config)
    before = len(world.fake.requests)
    assert rollout_jobs.reconcile_repo(world.forge, REPO, config) == Outcome([])
    reads = [r for r in world.fake.requests[before:] if "/comments" in r.operation]
    assert sorted(r.operation for r in reads) == sorted(
        ["GET /repos/{owner}/{repo}/issues/{issue_number}/comments"] * 2
        + ["GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"] * 2)
    assert {r.status for r in reads} == {304}
