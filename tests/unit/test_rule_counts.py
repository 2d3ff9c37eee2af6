"""Per-rule counts: plan and apply say how many files and references each rule matched, and warn at 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.campaign.load import parse_campaign
from bot.cli import EXIT_OK, main
from bot.engine.plan import RuleCount, rule_counts
from tests.memory_tree import MemoryTree

CAMPAIGN = """\
campaign: two-moves
title: Two moves
rules:
  - move: old_pkg.engines.Engine
    to: new_pkg.engines.Engine
  - move: old_pkg.engins.Typo
    to: new_pkg.engines.Typo
categories:
  - {name: all, priority: 0, paths: ["**/*.py"]}
"""
FILES = {
    "a.py": "from old_pkg.engines import Engine\n\nEngine()\nEngine()\n",
    "b.py": "import old_pkg.engines\n\nold_pkg.engines.Engine\n",
    "pkg/old_pkg_user.py": "from ..old_pkg.engines import Engine\n",  # climbs above the repository: not counted
    "c.py": "x = 'Engine Typo'\n",
}


def test_counts_files_and_references_per_rule_and_flags_the_rule_that_matched_nothing() -> None:
    counts = rule_counts(parse_campaign(CAMPAIGN, "c.yml"), MemoryTree(FILES))
    assert counts == (
        RuleCount("move old_pkg.engines.Engine", 2, 4),  # a.py: the import and 2 uses; b.py: the use
        RuleCount("move old_pkg.engins.Typo", 0, 0),
    )
    assert [c.matched_nothing for c in counts] == [False, True]


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_plan_and_apply_print_the_counts_and_the_warning(command: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    for path, text in FILES.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    campaign = tmp_path / "campaign.yml"
    campaign.write_text(CAMPAIGN)
    assert main([command, str(campaign), "--repo", str(repo)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "move old_pkg.engines.Engine" in out
    assert "rule `move old_pkg.engins.Typo` matched nothing" in out
