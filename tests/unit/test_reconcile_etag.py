"""The reconcile task's reads: conditional (ETag) with a bounded cache, idle ticks answered 304, and the
repositories to reconcile found on GitHub (the App's installations) as well as in Redis."""

from __future__ import annotations

import pytest
import redis

from bot import markers
from bot.forge.etag import GONE, Entry, EtagCache, cache_key, next_link
from bot.forge.github import installed_repos
from bot.known_repos import KNOWN_REPOS_KEY, remember_repo
from bot.settings import Settings
from tests.fake_github.fixtures import APP_ID, PAT, AppKey
from tests.fake_github.server import FakeGitHub, RequestRecord
from tests.redis_db import private_url
from tests.rollout_world import REPO, World, make_world
from workers.jobs import rollout
from workers.known_repos import repos_to_reconcile

PULLS = "GET /repos/{owner}/{repo}/pulls"
RUNS = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
CLOSE = "PATCH /repos/{owner}/{repo}/pulls/{pull_number}"


def since(fake: FakeGitHub, start: int, operation: str | None = None) -> list[RequestRecord]:
    return [r for r in fake.requests[start:] if operation is None or r.operation == operation]


def tick(world: World) -> tuple[list[str], list[RequestRecord]]:
    start = len(world.fake.requests)
    done = world.follow(rollout.reconcile_repo(world.forge, REPO))
    return done, since(world.fake, start)


# -- the cache, pure --------------------------------------------------------------------------------------
def test_cache_keeps_at_most_cap_entries_dropping_the_least_recently_used() -> None:
    cache = EtagCache(cap=2)
    for name in ("a", "b"):
        cache.put("o/r", cache_key(name, None), Entry(f'"{name}"', name))
    assert cache.get(cache_key("a", None)) is not None  # "a" is now the most recently used
    cache.put("o/r", cache_key("c", None), Entry('"c"', "c"))
    assert len(cache) == 2
    assert cache.get(cache_key("b", None)) is None
    assert cache.get(cache_key("a", None)) == Entry('"a"', "a")


def test_parameters_are_part_of_the_key_in_any_order() -> None:
    assert cache_key("/x", {"state": "all", "per_page": 100}) == cache_key("/x", {"per_page": "100", "state": "all"})
    assert cache_key("/x", {"state": "all"}) != cache_key("/x", {"state": "open"})


@pytest.mark.parametrize(("first", "second", "changed"), [
    (Entry('"1"', ["a"]), Entry('"2"', ["a"]), False),  # new ETag, same parsed answer
    (Entry('"1"', ["a"]), Entry('"2"', ["b"]), True),
    (Entry('"1"', ["a"], "/next"), Entry('"1"', ["a"]), True),  # a page fewer
    (Entry("", GONE), Entry("", GONE), False),  # the same 404 again
    (Entry('"1"', ("ci",)), Entry("", GONE), True),
])
def test_generation_grows_only_when_an_answer_differs(first: Entry, second: Entry, changed: bool) -> None:
    cache = EtagCache()
    cache.put("o/r", cache_key("/x", None), first)
    before = cache.generation("o/r")
    cache.put("o/r", cache_key("/x", None), second)
    assert (cache.generation("o/r") != before) is changed
    assert cache.generation("o/other") == 0


@pytest.mark.parametrize(("link", "expected"), [
    ('<http://h/r?page=2>; rel="next", <http://h/r?page=5>; rel="last"', "http://h/r?page=2"),
    ('<http://h/r?page=1>; rel="first", <http://h/r?page=1>; rel="prev"', None),
    (None, None),
])
def test_next_link(link: str | None, expected: str | None) -> None:
    assert next_link(link) == expected


# -- GitHubForge over HTTP ----------------------------------------------------------------------------------
def test_a_repeated_list_is_answered_304_and_served_from_the_cache(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    world.open_bot_pull("core")
    first = world.forge.list_pulls(REPO, rollout.BOT_PREFIX)
    generation = world.forge.read_generation(REPO)
    start = len(fake_github.requests)
    assert world.forge.list_pulls(REPO, rollout.BOT_PREFIX) == first
    assert [r.status for r in since(fake_github, start, PULLS)] == [304]
    assert world.forge.read_generation(REPO) == generation


def test_each_page_is_conditional_and_a_change_on_page_two_is_seen(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    sha = world.main()
    for n in range(130):
        world.check(sha, "success", name=f"check-{n:03}")
    assert len(world.forge.checks(REPO, sha)) == 130
    world.check(sha, "failure", name="check-120")  # replaced: still on the second page

    start = len(fake_github.requests)
    found = {c.name: c.conclusion for c in world.forge.checks(REPO, sha)}
    assert [r.status for r in since(fake_github, start, RUNS)] == [304, 200]
    assert len(found) == 130 and found["check-120"] == "failure" and found["check-000"] == "success"


# -- the reconcile tick ---------------------------------------------------------------------------------------
def test_an_idle_tick_is_answered_304_and_does_nothing(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, None)  # CI still running
    assert tick(world)[0] == []

    done, requests = tick(world)
    assert done == [] and world.enqueued == []
    assert [r.status for r in requests if r.operation in (PULLS, RUNS)] == [304, 304]
    assert {r.method for r in requests} == {"GET"}
    # everything the verdict rests on came back 304; branch protection is unreadable here (404, like an App
    # without the administration permission), and nothing else was read
    assert {r.status for r in requests if not r.operation.endswith("required_status_checks")} == {304}


def test_a_check_completing_between_ticks_is_acted_on_exactly_once(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, None)
    tick(world)
    tick(world)
    world.check(pull.head_sha, "failure")  # its webhook is lost

    assert tick(world)[0] == ["comment #1", "addlabels #1", "close #1"]
    assert tick(world)[0] == []  # judged again (the last tick acted), nothing left to do
    done, requests = tick(world)
    assert done == [] and {r.method for r in requests} == {"GET"}
    assert fake_github.count(CLOSE) == 1 and len(world.comments(1)) == 1
    assert world.pull(1).labels.count(markers.LABEL_FAILED) == 1


def test_a_merge_refused_is_tried_again_on_the_next_tick(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github, automerge=True)
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")
    fake_github.fail("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge", status=405, times=2)
    assert tick(world)[0] == ["addlabels #1"]  # merge refused: logged, not done
    done, requests = tick(world)
    assert done == [] and [r.status for r in requests if r.operation == PULLS] == [304]  # refused again
    assert tick(world)[0] == ["merge #1", "start mig"]  # the refused attempt kept the last tick from quiet
    assert world.pull(1).merged and fake_github.count("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge") == 3


def test_after_a_quiet_tick_nothing_is_judged_until_a_read_changes(fake_github: FakeGitHub) -> None:
    world = make_world(fake_github)  # no automerge: a green PR waits for a maintainer
    pull = world.open_bot_pull("core")
    world.check(pull.head_sha, "success")
    assert tick(world)[0] == ["addlabels #1"]
    judged = tick(world)[1]  # quiet, but judged: the PR is re-read before deciding
    assert [r.operation for r in judged].count("GET /repos/{owner}/{repo}/pulls/{pull_number}") == 1

    skipped = tick(world)[1]
    assert "GET /repos/{owner}/{repo}/pulls/{pull_number}" not in [r.operation for r in skipped]
    assert len(skipped) < len(judged)
    world.check(pull.head_sha, "failure", name="ci")  # a re-run fails
    assert tick(world)[0] == ["comment #1", "addlabels #1", "removelabel #1", "close #1"]


# -- which repositories to reconcile ---------------------------------------------------------------------
def test_beat_finds_the_apps_repositories_on_github_and_those_remembered(fake_github: FakeGitHub,
                                                                         github_app_key: AppKey) -> None:
    fake_github.create_repo("octo/app")
    fake_github.create_repo("octo/lib")
    fake_github.create_repo("other/site")
    fake_github.repo("other/site").installation_id = 2
    url = private_url(10)
    app_mode = Settings(app_id=APP_ID, private_key=github_app_key.private_pem, api_url=fake_github.api_url,
                        redis_url=url)
    assert installed_repos(app_mode) == [("octo/app", 1), ("octo/lib", 1), ("other/site", 2)]
    assert installed_repos(Settings(token=PAT, api_url=fake_github.api_url)) is None

    client = redis.Redis.from_url(url)
    client.delete(KNOWN_REPOS_KEY)  # flushed: GitHub alone still lists every installed repository
    try:
        assert repos_to_reconcile(app_mode) == [("octo/app", 1), ("octo/lib", 1), ("other/site", 2)]
        remember_repo(app_mode, "solo/tool", None)
        remember_repo(app_mode, "octo/app", 7)  # stale: GitHub's installation id wins
        assert repos_to_reconcile(app_mode) == [("octo/app", 1), ("octo/lib", 1), ("other/site", 2),
                                                ("solo/tool", None)]
    finally:
        client.delete(KNOWN_REPOS_KEY)
