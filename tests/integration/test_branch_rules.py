"""Required checks read from repository rulesets as well as classic branch protection, over the fake GitHub.

An App installed without `administration: read` cannot read classic protection (GitHub answers 403), but
the rulesets endpoint needs no such permission, so the bot still knows which checks a merge waits for.
"""

from __future__ import annotations

import pytest

from tests.fake_github.server import FakeGitHub
from tests.rollout_world import REPO, World, make_world

pytestmark = pytest.mark.integration

PROTECTION = "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"
RULES = "GET /repos/{owner}/{repo}/rules/branches/{branch}"


@pytest.fixture
def world(fake_github: FakeGitHub) -> World:
    return make_world(fake_github)


def test_rulesets_alone(world: World) -> None:
    world.fake.set_ruleset_checks(REPO, "main", ["ci", "lint"])
    assert world.forge.required_checks(REPO, "main") == ("ci", "lint")


def test_rulesets_and_classic_protection_together(world: World) -> None:
    world.fake.set_ruleset_checks(REPO, "main", ["ci"])
    world.fake.set_required_checks(REPO, "main", ["lint", "ci"])
    assert world.forge.required_checks(REPO, "main") == ("ci", "lint")


def test_without_administration_permission_the_rulesets_still_answer(world: World) -> None:
    world.fake.set_ruleset_checks(REPO, "main", ["ci"])
    world.fake.set_required_checks(REPO, "main", ["lint"])
    world.fake.fail(PROTECTION, status=403, times=None)  # "Resource not accessible by integration"
    assert world.forge.required_checks(REPO, "main") == ("ci",)


def test_no_rules_at_all_is_an_empty_list_and_unreadable_is_none(world: World) -> None:
    assert world.forge.required_checks(REPO, "main") == ()
    world.fake.fail(PROTECTION, status=403, times=None)
    world.fake.fail(RULES, status=403, times=None)
    assert world.forge.required_checks(REPO, "main") is None
