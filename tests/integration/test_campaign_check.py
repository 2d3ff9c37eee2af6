"""The campaign check and the campaign dashboards against the fake GitHub: errors shown where maintainers look.

A broken campaign file gets a failing `migration-bot/campaign` check run with an annotation at each
problem's file:line; on the default branch its dashboard says "Action required", from the check job and
from reconcile alike; a removed or `enabled: false` campaign is stopped, closing nothing.
"""

from __future__ import annotations

import pytest

from bot import markers
from bot.campaign.load import parse_campaign
from bot.forge.github import GitHubForge
from bot.rollout.dashboard import ACTION_REQUIRED_LINE
from bot.settings import Settings
from tests.fake_github import bare
from tests.fake_github.fixtures import APP_ID, PAT, AppKey
from tests.fake_github.server import FakeGitHub
from tests.rollout_world import CAMPAIGN_PATH, REPO, World, campaign_text, make_world
from workers.jobs import rollout
from workers.jobs.campaign_check import CHECK_NAME, check_campaign
from workers.jobs.dashboard import update_dashboard

pytestmark = pytest.mark.integration

#: two mistakes, on lines 2 and 10: a title of the wrong type and an unknown rollout key
BROKEN = campaign_text(order="sequential").replace("title: Mig", "title: [not, text]").replace(
    "rollout: {", "rollout: {speed: 3, ")


@pytest.fixture
def world(fake_github: FakeGitHub, github_app_key: AppKey) -> World:
    world = make_world(fake_github)
    settings = Settings(app_id=APP_ID, private_key=github_app_key.private_pem, api_url=fake_github.api_url)
    world.forge = GitHubForge(settings, 1)  # check runs need an App installation
    return world


def _run(world: World, sha: str, name: str = CHECK_NAME) -> object:
    [run] = [r for r in world.fake.repo(REPO).check_runs if r.head_sha == sha and r.name == name]
    return run


def _push(world: World, branch: str, path: str, text: str | None) -> str:
    if branch != "main" and world.fake.branch_sha(REPO, branch) is None:
        world.fake.commit_file(REPO, "main", "README.md", "readme\n")
        bare.update_ref(world.bare, f"refs/heads/{branch}", world.main())
    return world.fake.commit_file(REPO, branch, path, text)


def test_broken_campaign_on_a_branch_fails_its_check_with_an_annotation_per_problem(world: World) -> None:
    sha = _push(world, "edit-campaign", CAMPAIGN_PATH, BROKEN)
    done = check_campaign(world.forge, REPO, sha, [CAMPAIGN_PATH], "edit-campaign")
    assert done.conclusion == "failure" and len(done.problems) == 2
    run = _run(world, sha)
    assert (run.status, run.conclusion) == ("completed", "failure")
    notes = {(n["path"], n["start_line"], n["annotation_level"]) for n in run.output["annotations"]}
    assert notes == {(CAMPAIGN_PATH, 2, "failure"), (CAMPAIGN_PATH, 10, "failure")}
    messages = " ".join(n["message"] for n in run.output["annotations"])
    assert "title" in messages and "unknown key 'speed'" in messages
    assert world.fake.issues(REPO) == [], "a branch's campaign has no dashboard"


def test_valid_campaign_passes_and_yaml_suffix_is_found(world: World) -> None:
    sha = _push(world, "more", ".github/migrations/other.yaml", campaign_text().replace("mig", "other"))
    done = check_campaign(world.forge, REPO, sha, None, "more")  # None: every campaign file at sha
    assert done.conclusion == "success"
    assert set(done.files) == {CAMPAIGN_PATH, ".github/migrations/other.yaml"}
    run = _run(world, sha)
    assert run.conclusion == "success" and run.output["annotations"] == []


def test_nothing_to_check_writes_no_check(world: World) -> None:
    sha = world.main()
    assert check_campaign(world.forge, REPO, sha, [".github/migrations/gone.yml"], "main").conclusion is None
    assert world.fake.repo(REPO).check_runs == []


def test_broken_campaign_on_the_default_branch_says_action_required(world: World) -> None:
    core = world.open_bot_pull("core")
    update_dashboard(world.forge, REPO, CAMPAIGN_PATH)
    sha = _push(world, "main", CAMPAIGN_PATH, BROKEN)
    done = check_campaign(world.forge, REPO, sha, [CAMPAIGN_PATH], "main")
    assert done.dashboards == (f"action-required {CAMPAIGN_PATH}",)
    [issue] = world.fake.issues(REPO)
    assert issue.body.startswith(ACTION_REQUIRED_LINE.format(path=CAMPAIGN_PATH))
    assert f"{CAMPAIGN_PATH}:2: title" in issue.body and "unknown key 'speed'" in issue.body
    assert issue.state == "open" and issue.title == "Migration dashboard: Mig"
    assert world.pull(core.number).state == "open", "nothing is closed"
    edits = world.fake.count("PATCH /repos/{owner}/{repo}/issues/{issue_number}")
    check_campaign(world.forge, REPO, sha, [CAMPAIGN_PATH], "main")
    assert world.fake.count("PATCH /repos/{owner}/{repo}/issues/{issue_number}") == edits, "unchanged: not re-sent"

    fixed = _push(world, "main", CAMPAIGN_PATH, campaign_text())
    done = check_campaign(world.forge, REPO, fixed, [CAMPAIGN_PATH], "main")
    assert (done.conclusion, done.dashboards) == ("success", (f"refreshed {CAMPAIGN_PATH}",))
    [issue] = world.fake.issues(REPO)
    assert "Action required" not in issue.body and f"[#{core.number}]" in issue.body


def test_reconcile_never_skips_a_broken_campaign_in_silence(world: World) -> None:
    world.fake.commit_file(REPO, "main", CAMPAIGN_PATH, "campaign: mig\ntitle: Mig\nrules: 3\n")
    outcome = rollout.reconcile_repo(world.forge, REPO)
    assert outcome.follow_ups == ()
    [issue] = world.fake.issues(REPO)
    assert issue.body.startswith("**Action required**") and f"{CAMPAIGN_PATH}:3: rules" in issue.body
    assert markers.dashboard_marker("mig") in issue.body
    rollout.reconcile_repo(world.forge, REPO)
    assert len(world.fake.issues(REPO)) == 1


def test_removed_campaign_stops_and_closes_nothing(world: World) -> None:
    core = world.open_bot_pull("core")
    update_dashboard(world.forge, REPO, CAMPAIGN_PATH)
    before = world.main()
    sha = _push(world, "main", CAMPAIGN_PATH, None)
    done = check_campaign(world.forge, REPO, sha, [], "main", removed=[CAMPAIGN_PATH], before=before)
    assert done.dashboards == (f"stopped {CAMPAIGN_PATH}",)
    [issue] = world.fake.issues(REPO)
    assert issue.body.startswith("**Stopped**: the campaign file") and issue.state == "open"
    assert world.pull(core.number).state == "open"
    assert rollout.reconcile_repo(world.forge, REPO).follow_ups == ()


def test_disabled_campaign_starts_nothing_closes_nothing_and_says_so(world: World) -> None:
    core = world.open_bot_pull("core")
    world.check(core.head_sha, "failure")  # would be closed, were the campaign running
    update_dashboard(world.forge, REPO, CAMPAIGN_PATH)
    disabled = campaign_text().replace("title: Mig", "title: Mig\nenabled: false")
    sha = world.fake.commit_file(REPO, "main", CAMPAIGN_PATH, disabled)
    assert not parse_campaign(world.forge.read_file(REPO, CAMPAIGN_PATH, "main") or "").enabled
    done = check_campaign(world.forge, REPO, sha, [CAMPAIGN_PATH], "main")
    assert done.dashboards == (f"refreshed {CAMPAIGN_PATH}",)
    [issue] = world.fake.issues(REPO)
    assert issue.body.startswith(f"**Stopped**: `enabled: false` in `{CAMPAIGN_PATH}`")
    assert rollout.reconcile_repo(world.forge, REPO).follow_ups == (), "no new category is started"
    assert rollout.judge_checks(world.forge, REPO, core.head_sha) == []
    assert world.pull(core.number).state == "open" and world.comments(core.number) == []

    enabled = _push(world, "main", CAMPAIGN_PATH, campaign_text())
    check_campaign(world.forge, REPO, enabled, [CAMPAIGN_PATH], "main")
    assert "Stopped" not in world.fake.issues(REPO)[0].body
    assert rollout.judge_checks(world.forge, REPO, core.head_sha) == [f"comment #{core.number}",
                                                                       f"addlabels #{core.number}",
                                                                       f"close #{core.number}"]


def test_token_mode_says_the_verdict_as_a_commit_status(world: World, fake_github: FakeGitHub) -> None:
    token_forge = GitHubForge(Settings(token=PAT, api_url=fake_github.api_url), None)
    sha = _push(world, "edit-campaign", CAMPAIGN_PATH, BROKEN)
    assert check_campaign(token_forge, REPO, sha, [CAMPAIGN_PATH], "edit-campaign").conclusion == "failure"
    [status] = [s for s in fake_github.repo(REPO).statuses if s.sha == sha]
    assert (status.context, status.state) == (CHECK_NAME, "failure")


def test_a_fork_pull_request_is_checked_on_the_campaign_files_it_changes(world: World) -> None:
    _push(world, "from-fork", CAMPAIGN_PATH, BROKEN)
    sha = world.fake.commit_file(REPO, "from-fork", "src/x.py", "x = 1\n")
    pull = world.fake.open_pull(REPO, "from-fork", "main", "Tweak the campaign", "", "someone")
    done = check_campaign(world.forge, REPO, sha, None, "from-fork", number=pull.number)
    assert (done.conclusion, done.files) == ("failure", (CAMPAIGN_PATH,))
    assert _run(world, sha).output["annotations"], "annotated at file:line"
    assert world.fake.issues(REPO) == []


def test_a_pull_request_touching_no_campaign_gets_no_check(world: World) -> None:
    sha = _push(world, "plain", "src/x.py", "x = 1\n")
    pull = world.fake.open_pull(REPO, "plain", "main", "Plain", "", "someone")
    assert check_campaign(world.forge, REPO, sha, None, "plain", number=pull.number).conclusion is None
    assert world.fake.repo(REPO).check_runs == []
