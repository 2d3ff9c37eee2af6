"""Files rolled back out of a PR: carried in its marker, counted by the state, the dashboard and `status`."""

from __future__ import annotations

import pytest

from bot import markers
from bot.campaign.load import parse_campaign
from bot.forge.base import PullInfo
from bot.rollout.dashboard import FINISHED_LINE, DashboardData, render_dashboard
from bot.rollout.state import CategoryStatus, campaign_state
from bot.status import CampaignStatus

CAMPAIGN = parse_campaign("""\
campaign: mig
title: Mig
rules:
  - move: old.mod.Engine
    to: new.mod.Engine
categories:
  - {name: core, priority: 0, paths: ["core/**/*.py"]}
  - {name: api, priority: 1, paths: ["api/**/*.py"]}
""", source="mig.yml")
ROLLED = ("core/a.py", "core/b.py")


def _pull(number: int, category: str, *, state: str = "closed", merged: bool = True, labels: tuple[str, ...] = (),
          needs_human: tuple[str, ...] = ()) -> PullInfo:
    marker = markers.render_marker(markers.PullMarker("mig", category, "abc", needs_human=needs_human))
    return PullInfo(number, state, merged, markers.branch_name("mig", category), f"sha{number}", "main", "t",
                    f"summary\n\n{marker}", labels, f"https://example.test/pull/{number}")


def test_the_marker_carries_the_files_and_stays_as_it_was_without_them() -> None:
    with_files = markers.PullMarker("mig", "core", "abc", needs_human=ROLLED)
    assert markers.parse_marker(markers.render_marker(with_files)) == with_files
    plain = markers.PullMarker("mig", "core", "abc")
    assert markers.render_marker(plain) == '<!-- migration-bot:pull {"base_sha": "abc", "campaign": "mig", ' \
                                           '"category": "core"} -->'
    edited = '<!-- migration-bot:pull {"base_sha": "a", "campaign": "m", "category": "c", "needs_human": "x"} -->'
    assert markers.parse_marker(edited) == markers.PullMarker("m", "c", "a")


def test_rolled_back_files_keep_a_merged_campaign_unfinished() -> None:
    pulls = [_pull(1, "core", needs_human=ROLLED), _pull(2, "api")]
    state = campaign_state(CAMPAIGN, pulls, {})
    assert [c.status for c in state.categories] == [CategoryStatus.MERGED, CategoryStatus.MERGED]
    assert state.needs_human == (("core", "core/a.py"), ("core", "core/b.py"))
    assert not state.finished


@pytest.mark.parametrize(("pull", "planned"), [
    (_pull(1, "core", needs_human=ROLLED), {"core": 0}),  # merged, and the plan finds nothing left: done by hand
    (_pull(1, "core", merged=False, labels=(markers.LABEL_SKIPPED,), needs_human=ROLLED), {}),  # skipped
])
def test_migrated_by_hand_or_skipped_finishes_it(pull: PullInfo, planned: dict[str, int]) -> None:
    state = campaign_state(CAMPAIGN, [pull, _pull(2, "api")], planned)
    assert state.needs_human == () and state.finished


def test_an_open_pr_lists_its_files_whatever_the_plan_says() -> None:
    state = campaign_state(CAMPAIGN, [_pull(1, "core", state="open", merged=False, needs_human=ROLLED)], {"core": 0})
    assert state.category("core").needs_human == ROLLED


def test_the_dashboard_counts_and_lists_them_and_stays_open() -> None:
    pulls = [_pull(1, "core", needs_human=ROLLED), _pull(2, "api")]
    dashboard = render_dashboard(CAMPAIGN, campaign_state(CAMPAIGN, pulls, {}), pulls, DashboardData(), "now")
    assert dashboard.body.startswith("**In progress**: 2 of 2 categories done.\n\n**2 file(s) need a human**")
    assert "| `core/a.py` | `core` | [#1](https://example.test/pull/1) |" in dashboard.body
    assert dashboard.state == "open"
    done = render_dashboard(CAMPAIGN, campaign_state(CAMPAIGN, pulls, {"core": 0}), pulls, DashboardData(), "now")
    assert done.body.startswith(FINISHED_LINE) and done.state == "closed" and "need a human" not in done.body


def test_status_counts_them() -> None:
    status = CampaignStatus(CAMPAIGN, campaign_state(CAMPAIGN, [_pull(1, "core", needs_human=ROLLED)], {}), None)
    text = status.to_text()
    assert text.startswith("Campaign mig (Mig): in progress")
    assert "Needs a human: 2 file(s) rolled back (their migration broke tests)" in text
    assert "  core/a.py  (core)" in text
    data = status.to_json()
    assert data["needs_human"] == 2 and data["finished"] is False
    assert data["categories"][0]["needs_human"] == list(ROLLED)
