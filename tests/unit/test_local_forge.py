"""LocalForge over a real git repository: PR records round-trip, labels, comments, a real merge."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import gitops, markers
from bot.forge.base import Permanent
from bot.forge.local import RECORDS_DIR, LocalForge

REPO = "acme/app"
BRANCH = markers.branch_name("c1", "unit")


@pytest.fixture()
def forge(tmp_path: Path) -> LocalForge:
    repo = tmp_path / REPO
    (repo / ".github/migrations").mkdir(parents=True)
    (repo / ".github/migrations/c1.yml").write_text("campaign: c1\n")
    (repo / "a.py").write_text("import old\n")
    gitops.init_repository(repo)
    gitops.checkout_branch(repo, BRANCH)
    (repo / "a.py").write_text("import new\n")
    gitops.commit_all(repo, "migrate")
    gitops.run_git(["checkout", "--quiet", "main"], cwd=repo)
    return LocalForge(tmp_path)


def _body(base: str = "abc") -> str:
    return "summary\n\n" + markers.render_marker(markers.PullMarker("c1", "unit", base))


def test_repo_and_files(forge: LocalForge) -> None:
    info = forge.repo(REPO)
    assert (info.full_name, info.default_branch) == (REPO, "main")
    assert Path(info.clone_url) == forge.root / REPO
    assert forge.read_file(REPO, ".github/migrations/c1.yml", "main") == "campaign: c1\n"
    assert forge.read_file(REPO, "missing.yml", "main") is None
    assert forge.list_files(REPO, ".github/migrations", "main") == [".github/migrations/c1.yml"]
    assert forge.list_files(REPO, "nowhere", "main") == []
    with pytest.raises(Permanent):
        forge.repo("acme/missing")


def test_pull_round_trip(forge: LocalForge) -> None:
    assert forge.find_pull(REPO, BRANCH) is None
    opened = forge.open_pull(REPO, head=BRANCH, base="main", title="t", body=_body(), draft=True)
    assert opened.number == 1 and opened.draft and opened.state == "open"
    assert (forge.root / RECORDS_DIR / REPO / "1.json").is_file()
    assert opened.head_sha == gitops.head_sha(forge.root / REPO, BRANCH)
    assert forge.find_pull(REPO, BRANCH) == opened
    assert forge.list_pulls(REPO, markers.campaign_branch_prefix("c1")) == [opened]
    assert forge.list_pulls(REPO, markers.campaign_branch_prefix("c2")) == []
    edited = forge.edit_pull(REPO, 1, body=_body("def"))
    assert markers.parse_marker(edited.body) == markers.PullMarker("c1", "unit", "def")
    assert forge.get_pull(REPO, 1) == edited
    second = forge.open_pull(REPO, head=BRANCH, base="main", title="t2", body="no marker", draft=False)
    assert second.number == 2
    assert forge.find_pull(REPO, BRANCH) == edited  # the one with the marker


def test_labels_and_comments_are_find_or_create(forge: LocalForge) -> None:
    forge.open_pull(REPO, head=BRANCH, base="main", title="t", body=_body(), draft=False)
    forge.add_labels(REPO, 1, ["migration-bot", "migration:c1"])
    forge.add_labels(REPO, 1, ["migration:c1", "migration-bot"])
    assert forge.get_pull(REPO, 1).labels == ("migration-bot", "migration:c1")
    forge.remove_label(REPO, 1, "migration-bot")
    assert forge.get_pull(REPO, 1).labels == ("migration:c1",)
    marker = markers.comment_marker("failure")
    forge.upsert_comment(REPO, 1, marker, "first")
    forge.upsert_comment(REPO, 1, marker, "second")
    [comment] = forge.comments(REPO, 1)
    assert comment["body"].startswith("second") and marker in comment["body"]
    forge.add_reaction(REPO, comment["id"], "+1")
    assert forge.comments(REPO, 1)[0]["reactions"] == ["+1"]


def test_merge_checks_the_head_and_really_merges(forge: LocalForge) -> None:
    pull = forge.open_pull(REPO, head=BRANCH, base="main", title="t", body=_body(), draft=False)
    assert [c.author_email for c in forge.pull_commits(REPO, 1)] == [gitops.BOT_EMAIL]
    with pytest.raises(Permanent):
        forge.merge_pull(REPO, 1, sha="0" * 40, method="squash", title="Merge")
    merged = forge.merge_pull(REPO, 1, sha=pull.head_sha, method="squash", title="Merge it")
    assert gitops.head_sha(forge.root / REPO, "main") == merged
    assert (forge.root / REPO / "a.py").read_text() == "import new\n"
    after = forge.get_pull(REPO, 1)
    assert after.merged and after.state == "closed" and after.merge_commit_sha == merged
    assert forge.checks(REPO, merged) == [] and forge.required_checks(REPO, "main") is None
