"""handlers.campaigns: which pushes start which campaigns. Pure; the tests assert the Jobs."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.campaign.globs import glob_matches
from bot.handlers.campaigns import changed_campaign_files, push
from bot.settings import Settings
from workers.contract import EVENTS_QUEUE, START_CAMPAIGN, Job

RECORDED = Path(__file__).parents[1] / "payloads" / "push.json"
SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
SETTINGS = Settings(webhook_secret="s")


@cache
def _base() -> dict[str, Any]:
    """The recorded push when it exists, else the fields GitHub always sends that the handler reads."""
    if RECORDED.exists():
        return json.loads(RECORDED.read_text())
    return {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": SHA,
        "created": False,
        "deleted": False,
        "forced": False,
        "commits": [],
        "head_commit": None,
        "repository": {"full_name": "octo/app", "default_branch": "main"},
        "installation": {"id": 4242},
        "sender": {"login": "octocat"},
    }


def commit(
    added: tuple[str, ...] = (), modified: tuple[str, ...] = (), removed: tuple[str, ...] = ()
) -> dict:
    return {
        "id": SHA,
        "distinct": True,
        "added": list(added),
        "modified": list(modified),
        "removed": list(removed),
    }


def push_payload(*commits: dict, branch: str = "main", default_branch: str = "main", **fields: Any) -> dict:
    """A push of `commits` to `branch`, built over the recorded payload (repository fixed to octo/app)."""
    payload = copy.deepcopy(_base())
    payload["repository"].update(full_name="octo/app", default_branch=default_branch)
    payload.update(
        ref=f"refs/heads/{branch}",
        after=SHA,
        deleted=False,
        commits=list(commits),
        head_commit=commits[-1] if commits else None,
        installation={"id": 4242},
    )
    payload.update(fields)
    return payload


def start(path: str | None, installation_id: int | None = 4242) -> Job:
    kwargs = {"repo": "octo/app", "installation_id": installation_id, "sha": SHA, "path": path}
    return Job(START_CAMPAIGN, kwargs, EVENTS_QUEUE)


@pytest.mark.parametrize(
    ("path", "glob", "ok"),
    [
        (".github/migrations/engine.yml", ".github/migrations/*.yml", True),
        (".github/migrations/sub/engine.yml", ".github/migrations/*.yml", False),
        ("vendor/.github/migrations/engine.yml", ".github/migrations/*.yml", False),
        (".github/migrations/engine.yaml", ".github/migrations/*.yml", False),
        (".github/migrations/engine.yml", ".github/**/*.yml", True),
        (".github/a/b/engine.yml", ".github/**/*.yml", True),
        ("x.yml", "*.yml", True),
        ("a/x.yml", "*.yml", False),
    ],
)
def test_campaign_file_globs(path: str, glob: str, ok: bool) -> None:
    assert glob_matches(glob, path) is ok


def test_added_campaign_file_starts_it() -> None:
    payload = push_payload(commit(added=(".github/migrations/engine.yml", "src/app.py")))
    assert push(payload, SETTINGS) == [start(".github/migrations/engine.yml")]


def test_one_job_per_changed_campaign_file_in_push_order() -> None:
    payload = push_payload(
        commit(modified=(".github/migrations/b.yml",)),
        commit(added=(".github/migrations/a.yml",), modified=(".github/migrations/b.yml",)),
    )
    assert push(payload, SETTINGS) == [start(".github/migrations/b.yml"), start(".github/migrations/a.yml")]


def test_file_added_then_removed_in_the_same_push_starts_nothing() -> None:
    payload = push_payload(
        commit(added=(".github/migrations/a.yml",)), commit(removed=(".github/migrations/a.yml",))
    )
    assert push(payload, SETTINGS) == []


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            push_payload(commit(added=(".github/migrations/a.yml",)), branch="feature"), id="other-branch"
        ),
        pytest.param(push_payload(commit(added=(".github/migrations/a.yml",)), ref="refs/tags/v1"), id="tag"),
        pytest.param(push_payload(deleted=True, after="0" * 40), id="branch-deleted"),
        pytest.param(push_payload(commit(modified=("src/app.py",))), id="no-campaign-file"),
        pytest.param(push_payload(commit(removed=(".github/migrations/a.yml",))), id="campaign-removed"),
        pytest.param(push_payload(commit(added=("docs/migrations/a.yml",))), id="outside-glob"),
        pytest.param(push_payload(), id="no-commits"),
    ],
)
def test_pushes_that_start_nothing(payload: dict) -> None:
    assert push(payload, SETTINGS) == []


def test_default_branch_comes_from_the_repository() -> None:
    payload = push_payload(
        commit(added=(".github/migrations/a.yml",)), branch="trunk", default_branch="trunk"
    )
    assert push(payload, SETTINGS) == [start(".github/migrations/a.yml")]


def test_campaign_glob_comes_from_settings() -> None:
    payload = push_payload(commit(added=("migrations/a.yaml",)))
    settings = Settings(webhook_secret="s", campaign_glob="migrations/*.yaml")
    assert push(payload, settings) == [start("migrations/a.yaml")]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(push_payload(*[commit(modified=("src/x.py",))] * 20), id="twenty-commits"),
        pytest.param(push_payload({"id": SHA, "added": [], "modified": []}), id="distinct-missing"),
        pytest.param(push_payload({"id": SHA, "distinct": True}), id="file-lists-missing"),
    ],
)
def test_possibly_truncated_commit_list_asks_for_discovery(payload: dict) -> None:
    assert changed_campaign_files(payload, SETTINGS.campaign_glob) is None
    assert push(payload, SETTINGS) == [start(None)]


def test_head_commit_alone_is_enough() -> None:
    payload = push_payload(commit(added=(".github/migrations/a.yml",)))
    del payload["commits"]
    assert push(payload, SETTINGS) == [start(".github/migrations/a.yml")]


def test_push_without_installation_passes_none() -> None:
    payload = push_payload(commit(added=(".github/migrations/a.yml",)))
    del payload["installation"]
    assert push(payload, SETTINGS) == [start(".github/migrations/a.yml", installation_id=None)]


def test_jobs_are_json_ready() -> None:
    (job,) = push(push_payload(commit(added=(".github/migrations/a.yml",))), SETTINGS)
    assert json.loads(json.dumps(dict(job.kwargs))) == dict(job.kwargs)
