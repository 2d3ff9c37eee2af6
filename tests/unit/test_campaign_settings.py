"""The campaign settings a team needs: defaults, checks with their line, and a described JSON Schema."""

from __future__ import annotations

from typing import Any

import pytest

from bot.campaign.load import CampaignError, parse_campaign
from bot.campaign.schema import campaign_json_schema
from bot.campaign.spec import DEFAULT_BRANCH_PREFIX, DEFAULT_TITLE, Schedule, Weekday

BASE = """\
campaign: mig
title: Mig
rules:
  - move: old.mod.Engine
    to: new.mod.Engine
categories:
  - name: core
    priority: 0
    paths: ["core/**/*.py"]
"""


def test_defaults() -> None:
    campaign = parse_campaign(BASE)
    assert campaign.pulls.branch_prefix == DEFAULT_BRANCH_PREFIX and campaign.pulls.labels == ()
    assert campaign.pulls.title == DEFAULT_TITLE and campaign.pull_title("core") == "[migration] Mig: core"
    assert campaign.rollout.schedule == Schedule() and campaign.rollout.max_per_day is None
    assert campaign.category("core").reviewers == () and campaign.category("core").assignees == ()


def test_every_setting_is_read() -> None:
    text = BASE + """\
    reviewers: [alice, octo-org/platform]
    assignees: [bob]
rollout:
  max_per_day: 3
  schedule: {days: [mon, tue], start_hour: 9, end_hour: 17, timezone: Europe/Paris}
pulls:
  branch_prefix: bots
  labels: [tech-debt]
  title: "refactor({campaign}): migrate {category}"
"""
    campaign = parse_campaign(text)
    assert campaign.category("core").reviewers == ("alice", "octo-org/platform")
    assert campaign.category("core").assignees == ("bob",)
    assert campaign.rollout.max_per_day == 3
    assert campaign.rollout.schedule == Schedule((Weekday.MON, Weekday.TUE), 9, 17, "Europe/Paris")
    assert campaign.pulls.branch_prefix == "bots" and campaign.pulls.labels == ("tech-debt",)
    assert campaign.pull_title("core") == "refactor(mig): migrate core"


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ('pulls: {title: "{nope}"}\n', "pulls.title", "the only fields are"),
        ("pulls: {branch_prefix: a/b}\n", "pulls.branch_prefix", "does not match"),
        ("rollout: {schedule: {start_hour: 17, end_hour: 9}}\n", "rollout.schedule", "must be after"),
        ("rollout: {schedule: {timezone: Mars/Olympus}}\n", "rollout.schedule", "unknown time zone"),
        ("rollout: {schedule: {days: [someday]}}\n", "rollout.schedule.days[0]", "mon"),
        ("rollout: {max_per_day: 0}\n", "rollout.max_per_day", "greater than or equal to 1"),
    ],
)
def test_bad_settings_name_their_field(extra: str, field: str, words: str) -> None:
    with pytest.raises(CampaignError) as caught:
        parse_campaign(BASE + extra, source="c.yml")
    [problem] = caught.value.problems
    assert problem.field == field and words in problem.message, problem


def _properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            found.append((f"{path}.{name}", value))
        for key, value in node.items():
            found += _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for item in node:
            found += _properties(item, path)
    return found


def test_every_schema_field_has_a_description() -> None:
    properties = _properties(campaign_json_schema())
    assert len(properties) > 30
    assert [path for path, value in properties if not value.get("description")] == []


def test_every_setting_in_the_schema_has_a_default() -> None:
    defs = campaign_json_schema()["$defs"]
    for model in ("PullsModel", "ScheduleModel", "RolloutModel"):
        assert all("default" in value for value in defs[model]["properties"].values()), model
