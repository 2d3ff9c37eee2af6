"""The CI-gated rollout driven by the fake GitHub's webhooks: checks close, merge, revert; next category starts.

The fake emits the webhooks GitHub would (check runs created over its API, merges, closes); each is routed
through the bot's handler tables and its Jobs run as the worker would run them (job functions with a
GitHubForge over HTTP), so this is the real path minus the Celery transport.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pytest
from github import Github

from bot import markers
from bot.handlers import campaigns, checks, pulls
from bot.routes import merge_tables
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.server import FakeGitHub
from tests.redis_db import private_url
from tests.rollout_world import CAMPAIGN_PATH, REPO, World, make_world
from workers.contract import (
    JUDGE_CHECKS,
    MIGRATE_CATEGORY,
    PULL_CLOSED,
    RECONCILE_CAMPAIGNS,
    START_CAMPAIGN,
)
from workers.jobs import JobConfig, Outcome, migrate, rollout
from workers.locks import ThreadRepoLock

pytestmark = pytest.mark.integration

ROUTES = merge_tables([campaigns.ROUTES, checks.ROUTES, pulls.ROUTES])
T = TypeVar("T")
SOURCE = "from old.mod import Engine\n\nEngine()\n"


class Bot:
    """Routes the fake's emitted webhooks to Jobs and runs them in order, like one worker would."""

    def __init__(self, world: World, workdir: Path) -> None:
        self.world, self.workdir = world, workdir
        self.seen = 0
        self.ran: list[tuple[str, dict[str, Any]]] = []
        self.lock = ThreadRepoLock()

    def pump(self, drop: frozenset[str] = frozenset()) -> None:
        """Delivers every webhook emitted so far (and those its jobs cause); events in `drop` are lost."""
        emitted = self.world.fake.emitted
        while self.seen < len(emitted):
            event, payload = emitted[self.seen]
            self.seen += 1
            if event in drop:
                continue
            self.deliver(event, payload)

    def deliver(self, event: str, payload: dict[str, Any]) -> None:
        action = payload.get("action")
        handler = ROUTES.get((event, action)) or ROUTES.get((event, None))
        for job in handler(payload, Settings()) if handler else []:
            self.run(job.task, job.kwargs)

    def run(self, task: str, kwargs: Any) -> None:
        self.ran.append((task, dict(kwargs)))
        forge, repo, config = self.world.forge, kwargs["repo"], JobConfig(workdir=self.workdir)
        if task == JUDGE_CHECKS:
            rollout.judge_checks(forge, repo, kwargs["sha"], config)
        elif task == PULL_CLOSED:
            self.follow(rollout.pull_closed(forge, repo, kwargs["number"], config))
        elif task == START_CAMPAIGN:
            self.follow(migrate.start_campaign(forge, repo, kwargs["sha"], kwargs["path"], config))
        elif task == MIGRATE_CATEGORY:
            with self.lock.hold(repo):
                migrate.migrate_category(forge, repo, kwargs["sha"], kwargs["campaign_path"], kwargs["category"],
                                         config)

    def follow(self, outcome: Outcome[T]) -> T:
        """Runs the job's follow-ups at once, as an eager app would once the task's lock is released."""
        for job in outcome.follow_ups:
            self.run(job.task, job.kwargs)
        return outcome.result

    def ran_tasks(self, task: str) -> int:
        return sum(t == task for t, _ in self.ran)


@pytest.fixture
def world(fake_github: FakeGitHub, request: pytest.FixtureRequest) -> World:
    options = getattr(request, "param", {"automerge": True})
    made = make_world(fake_github, **options)
    for category in ("core", "api", "web"):
        fake_github.commit_file(REPO, "main", f"{category}/mod.py", SOURCE, message=f"{category} code")
    return made


@pytest.fixture
def bot(world: World, tmp_path: Path) -> Bot:
    workdir = tmp_path / "work"
    workdir.mkdir()
    started = Bot(world, workdir)
    started.run(START_CAMPAIGN, {"repo": REPO, "sha": world.main(), "path": CAMPAIGN_PATH})
    started.pump()
    return started


def ci(github_client: Github, sha: str, conclusion: str, name: str = "ci") -> None:
    """CI reports a finished check run over the API; the fake emits check_run.completed."""
    github_client.get_repo(REPO).create_check_run(name=name, head_sha=sha, status="completed",
                                                  conclusion=conclusion)


def bot_pulls(world: World) -> dict[str, Any]:
    return {p.head: p for p in world.fake.pulls(REPO)}


def test_failing_required_check_closes_the_pull_with_table_and_label(world: World, bot: Bot,
                                                                      github_client: Github) -> None:
    (core,) = world.fake.pulls(REPO)
    ci(github_client, core.head_sha, "failure")
    bot.pump()
    core = world.pull(core.number)
    assert core.state == "closed" and markers.LABEL_FAILED in core.labels
    assert any("| ci | failure |" in body for body in world.comments(core.number))
    assert len(world.fake.pulls(REPO)) == 1  # sequential: the failed category blocks the next


def test_passing_check_merges_and_the_next_category_opens(world: World, bot: Bot, github_client: Github) -> None:
    (core,) = world.fake.pulls(REPO)
    ci(github_client, core.head_sha, "success")
    bot.pump()
    heads = bot_pulls(world)
    assert heads[markers.branch_name("mig", "core")].merged
    api = heads[markers.branch_name("mig", "api")]
    assert api.state == "open" and markers.parse_marker(api.body).base_sha == world.main()
    assert bare.read_blob(world.bare, "main", "core/mod.py") != SOURCE.encode()


def test_flaky_check_rerun_passes_before_the_bot_acts(world: World, bot: Bot, github_client: Github) -> None:
    (core,) = world.fake.pulls(REPO)
    ci(github_client, core.head_sha, "success", name="lint")
    github_client.get_repo(REPO).create_check_run(name="ci", head_sha=core.head_sha, status="in_progress")
    ci(github_client, core.head_sha, "failure", name="ci")
    ci(github_client, core.head_sha, "success", name="ci")  # re-run, before the deliveries reach the bot
    bot.pump()
    assert world.pull(core.number).merged


def test_checks_on_a_stale_head_are_ignored(world: World, bot: Bot, github_client: Github) -> None:
    (core,) = world.fake.pulls(REPO)
    old = core.head_sha
    world.fake.commit_file(REPO, core.head, "core/more.py", "y = 2\n", message="a human fix")
    ci(github_client, old, "failure")
    bot.pump()
    after = world.pull(core.number)
    assert after.state == "open" and world.comments(core.number) == []


def test_same_event_twice_acts_once(world: World, bot: Bot, github_client: Github) -> None:
    (core,) = world.fake.pulls(REPO)
    ci(github_client, core.head_sha, "failure")
    event, payload = world.fake.emitted[-1]
    bot.pump()
    bot.deliver(event, payload)
    assert world.fake.count("PATCH /repos/{owner}/{repo}/pulls/{pull_number}") == 1
    assert len(world.comments(core.number)) == 1
    assert world.pull(core.number).labels.count(markers.LABEL_FAILED) == 1


def test_merged_category_breaking_main_gets_a_revert_and_pauses(world: World, bot: Bot,
                                                                github_client: Github) -> None:
    (core,) = world.fake.pulls(REPO)
    before = world.main()
    ci(github_client, core.head_sha, "success")
    bot.pump()
    merge_sha = world.pull(core.number).merge_commit_sha
    assert merge_sha == world.main()
    ci(github_client, merge_sha, "failure")
    bot.pump()

    heads = bot_pulls(world)
    revert = heads[markers.revert_branch_name("mig", "core")]
    tip = bare.rev_parse(world.bare, f"refs/heads/{revert.head}")
    tree = bare.git(world.bare, "rev-parse", f"{tip}^{{tree}}")
    assert tree == bare.git(world.bare, "rev-parse", f"{before}^{{tree}}")  # a real revert of the merge
    assert "This reverts commit" in bare.commit(world.bare, tip).message
    assert world.main() == merge_sha  # never pushed onto the default branch
    assert any(f"/pull/{revert.number}" in body for body in world.comments(core.number))
    api = heads[markers.branch_name("mig", "api")]
    ci(github_client, api.head_sha, "success")
    bot.pump()
    assert not world.pull(api.number).merged  # paused: nothing merges while main is broken


def test_dropped_webhook_is_made_up_by_reconcile(world: World, bot: Bot, github_client: Github) -> None:
    (core,) = world.fake.pulls(REPO)
    ci(github_client, core.head_sha, "success")
    bot.pump(drop=frozenset({"check_run"}))  # the outage: the delivery is lost
    assert world.pull(core.number).state == "open"

    bot.follow(rollout.reconcile_repo(world.forge, REPO, JobConfig(workdir=bot.workdir)))
    bot.pump()  # the merge's own webhooks arrive again
    assert world.pull(core.number).merged
    assert markers.branch_name("mig", "api") in bot_pulls(world)
    assert world.fake.count("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge") == 1
    assert len(bot_pulls(world)) == 2


@pytest.fixture
def worker(fake_github: FakeGitHub, tmp_path: Path) -> Any:
    """A real Celery worker thread on Redis db 9 with the rollout tasks, its forge pointed at the fake."""
    import redis
    from celery.contrib.testing.worker import start_worker

    import workers.tasks  # noqa: F401 - registers the tasks on every app
    from tests.fake_github.fixtures import PAT
    from workers.celery_app import make_celery

    url = private_url(9)
    settings = Settings(token=PAT, api_url=fake_github.api_url, redis_url=url, workdir=str(tmp_path))
    app = make_celery(settings)
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                          queues=["events", "migrations"]):
            yield app
    finally:
        client.flushdb()


def test_judge_checks_through_a_real_worker(world: World, worker: Any) -> None:
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "failure")
    result = worker.send_task(JUDGE_CHECKS, kwargs={"repo": REPO, "installation_id": None, "sha": pull.head_sha})
    assert result.get(timeout=60) == [f"comment #{pull.number}", f"addlabels #{pull.number}", f"close #{pull.number}"]
    assert world.pull(pull.number).state == "closed"
    again = worker.send_task(JUDGE_CHECKS, kwargs={"repo": REPO, "installation_id": None, "sha": pull.head_sha})
    assert again.get(timeout=60) == []


def reconcile_tick(world: World, bot: Bot) -> tuple[list[str], list[Any]]:
    """One beat tick for the repository; its follow-ups run at once, their webhooks are lost."""
    start = len(world.fake.requests)
    done = bot.follow(rollout.reconcile_repo(world.forge, REPO, JobConfig(workdir=bot.workdir)))
    bot.seen = len(world.fake.emitted)
    return done, world.fake.requests[start:]


def human_merges(github_client: Github, number: int) -> None:
    github_client.get_repo(REPO).get_pull(number).merge(merge_method="squash")


@pytest.mark.parametrize("change", ["check completes", "merged by a human"])
def test_idle_ticks_cost_304s_and_a_change_between_ticks_is_acted_on_once(world: World, bot: Bot,
                                                                          github_client: Github, change: str) -> None:
    (core,) = world.fake.pulls(REPO)
    assert reconcile_tick(world, bot)[0] == []
    done, requests = reconcile_tick(world, bot)
    assert done == [] and {r.method for r in requests} == {"GET"}
    assert [r.status for r in requests if r.operation == "GET /repos/{owner}/{repo}/pulls"] == [304]

    if change == "check completes":
        ci(github_client, core.head_sha, "success")
    else:
        human_merges(github_client, core.number)
    done, _ = reconcile_tick(world, bot)
    assert done[-1] == "start mig" and done.count("start mig") == 1
    for _ in range(2):
        assert reconcile_tick(world, bot)[0] == []

    assert world.pull(core.number).merged
    assert world.fake.count("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge") == 1
    assert bot.ran_tasks(START_CAMPAIGN) == 2  # the fixture's, then the reconcile's one
    assert sorted(bot_pulls(world)) == sorted(markers.branch_name("mig", c) for c in ("core", "api"))


def test_beat_task_reconciles_the_remembered_repositories_through_a_real_worker(world: World, worker: Any) -> None:
    from bot.known_repos import remember_repo
    from workers.celery_app import settings_of

    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "failure")  # its webhook never arrived
    remember_repo(settings_of(worker), REPO, None)
    result = worker.send_task(RECONCILE_CAMPAIGNS)
    assert result.get(timeout=60) == {REPO: [f"comment #{pull.number}", f"addlabels #{pull.number}",
                                             f"close #{pull.number}"]}
    assert worker.send_task(RECONCILE_CAMPAIGNS).get(timeout=60) == {REPO: []}
