"""bot.engine.plan: categories, reference counts, unassigned files, and the textual prefilter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.campaign.load import load_campaign, parse_campaign
from bot.campaign.spec import Campaign
from bot.engine.plan import plan_campaign
from bot.engine.pool import SERIAL_BELOW
from bot.engine.references import scope_references
from bot.engine.tree import DirectoryTree
from tests.campaigns import engine_move
from tests.memory_tree import MemoryTree

CAMPAIGN = engine_move(("e2e", 1, "tests/e2e/**/*.py"), ("unit", 0, "tests/unit/**/*.py"))
FILES = {
    "tests/unit/test_a.py": "from old_pkg.engines import Engine\n\n\ndef test_a():\n    assert Engine()\n",
    "tests/unit/test_b.py": "import old_pkg.engines as eng\n\nx = eng.Engine\ny = eng.Engine\n",
    "tests/unit/test_broken.py": "from old_pkg.engines import Engine\ndef oops(:\n",
    "tests/unit/test_clean.py": "def test_nothing():\n    pass\n",
    "tests/unit/test_string.py": "NAME = 'Engine'  # only a string mentions it\n",
    "tests/e2e/test_c.py": "def test_c():\n    from old_pkg.engines import Engine\n    return Engine\n",
    "scripts/run.py": "from old_pkg.engines import Engine\n\nEngine()\n",
    "docs/conf.py": "project = 'x'\n",
}


@pytest.fixture
def campaign() -> Campaign:
    return parse_campaign(CAMPAIGN, "campaign.yml")


class CountingTree(MemoryTree):
    """Records which files were decoded, to prove that non-candidates are never parsed."""

    def __init__(self, files: dict[str, str]) -> None:
        super().__init__(files)
        self.decoded: list[str] = []

    def read(self, path: str) -> str:
        self.decoded.append(path)
        return super().read(path)


def test_plan_json_has_exactly_the_documented_shape(campaign: Campaign) -> None:
    plan = plan_campaign(campaign, MemoryTree(FILES))
    assert plan.to_json() == {
        "categories": [
            {"name": "unit", "priority": 0, "files": ["tests/unit/test_a.py", "tests/unit/test_b.py",
                                                         "tests/unit/test_broken.py"],
             "references": plan.category("unit").references},
            {"name": "e2e", "priority": 1, "files": ["tests/e2e/test_c.py"],
             "references": plan.category("e2e").references},
        ],
        "unassigned": ["scripts/run.py"],
    }
    assert plan.category("unit").references >= 3  # the import, and two attribute uses in test_b
    # a file that does not parse still takes part (with no countable reference), so apply reports it
    assert plan.category("e2e").references >= 1
    assert plan.unassigned_references >= 1
    assert plan.references == (plan.category("unit").references + plan.category("e2e").references
                               + plan.unassigned_references)


def test_files_without_a_needle_are_never_decoded_or_parsed(campaign: Campaign) -> None:
    tree = CountingTree(FILES)
    plan_campaign(campaign, tree)
    assert "tests/unit/test_clean.py" not in tree.decoded
    assert "docs/conf.py" not in tree.decoded
    assert "tests/unit/test_a.py" in tree.decoded


def test_a_campaign_with_no_match_plans_empty_categories(campaign: Campaign) -> None:
    plan = plan_campaign(campaign, MemoryTree({"a.py": "pass\n"}))
    assert plan.to_json() == {
        "categories": [{"name": "unit", "priority": 0, "files": [], "references": 0},
                       {"name": "e2e", "priority": 1, "files": [], "references": 0}],
        "unassigned": [],
    }


def test_plan_of_the_demo_sample(tmp_path: Path) -> None:
    from bot.demo.sample import CAMPAIGN_FILE, FOLDERS, generate_sample_repo

    sample = generate_sample_repo(tmp_path / "sample")
    campaign = load_campaign(CAMPAIGN_FILE)
    plan = plan_campaign(campaign, DirectoryTree(sample.root))
    data = plan.to_json()
    assert [c["name"] for c in data["categories"]] == ["mission-critical", "integration", "e2e", "unit"]
    for category, folder in zip(plan.categories, FOLDERS, strict=True):
        assert category.files, category.name
        assert all(path.startswith(folder + "/") for path in category.files)
        assert category.references >= sample.imports_per_folder[folder]
    planned = {p for c in plan.categories for p in c.files}
    assert {sample.aliased_import, sample.kwargs_call, sample.syntax_error, sample.broken_test} <= planned
    assert all(not path.startswith("tests/") for path in data["unassigned"])
    # the counts (mostly read by the stdlib fast path) are libCST's scope analysis counts
    tree = DirectoryTree(sample.root)
    for category in plan.categories:
        expected = sum(len(scope_references(p, tree.read(p), campaign.migrated_names)) for p in category.files)
        assert category.references == expected, category.name


# A string annotation naming the import sends a file to libCST's scope analysis (and so to the pool).
SLOW = "from old_pkg.engines import Engine\n\n\ndef make() -> 'Engine':\n    return Engine()\n"


def test_the_pool_and_the_serial_path_plan_the_same(campaign: Campaign) -> None:
    slow = {f"tests/unit/test_slow_{i}.py": SLOW for i in range(2 * SERIAL_BELOW)}  # enough for the pool
    tree = MemoryTree({**FILES, **slow})
    pooled = plan_campaign(campaign, tree, jobs=2)
    assert pooled == plan_campaign(campaign, tree, jobs=1)
    # each annotated file: the import, the string annotation (libCST reads it as code) and the call
    base = plan_campaign(campaign, MemoryTree(FILES)).category("unit")
    assert pooled.category("unit").references == base.references + 3 * len(slow)
    assert set(pooled.category("unit").files) == set(base.files) | set(slow)


RENAME = """\
campaign: rename-run
title: Rename run to start
rules:
  - rename: old_pkg.engines.Engine.run
    to: start
categories:
  - {name: unit, priority: 0, paths: ["tests/unit/**/*.py"]}
"""


def test_a_campaign_without_moves_plans_what_a_dry_run_changes() -> None:
    files = {
        "tests/unit/test_run.py": "from old_pkg.engines import Engine\n\nEngine.run(1)\n",
        "tests/unit/test_other.py": "from new_pkg import Engine\n\nEngine.run(1)\n",
        "tests/unit/test_broken.py": "from old_pkg.engines import Engine\nEngine().run(\n",
    }
    plan = plan_campaign(parse_campaign(RENAME, "rename.yml"), MemoryTree(files))
    assert plan.category("unit").files == ("tests/unit/test_broken.py", "tests/unit/test_run.py")
    assert plan.references == 0  # references count moves only
