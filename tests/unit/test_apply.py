"""bot.engine.apply and bot.engine.tree: order, failure isolation, the pool, the writer, the walk."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.campaign.load import parse_campaign
from bot.campaign.spec import Campaign
from bot.engine.apply import apply_rules, write_results
from bot.engine.plan import plan_campaign
from bot.engine.results import FindingKind, Outcome
from bot.engine.tree import DirectoryTree, UnreadableFile
from tests.campaigns import engine_move
from tests.memory_tree import MemoryTree

CAMPAIGN = engine_move(("all", 0, "**/*.py"))
USES = "from old_pkg.engines import Engine\n\n\ndef make():\n    return Engine()\n"
BROKEN = "from old_pkg.engines import Engine\n\ndef oops(:\n    pass\n"
CLEAN = "def nothing():\n    return 1\n"


@pytest.fixture
def campaign() -> Campaign:
    return parse_campaign(CAMPAIGN, "campaign.yml")


def _files(count: int) -> dict[str, str]:
    """Changed, untouched and one unparsable file, interleaved and out of alphabetical order."""
    files = {f"pkg/m{(i * 7) % count:02d}.py": (USES if i % 3 else CLEAN) for i in range(count)}
    files["pkg/m05.py"] = BROKEN
    return files


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_in_input_order_and_one_bad_file_stops_nothing(campaign: Campaign, jobs: int) -> None:
    files = _files(20)
    paths = list(files)
    results = apply_rules(campaign, MemoryTree(files), paths, jobs=jobs)
    assert [r.path for r in results] == paths
    by_path = {r.path: r for r in results}
    broken = by_path.pop("pkg/m05.py")
    assert broken.outcome is Outcome.FAILED
    assert broken.new_source == BROKEN
    assert [f.kind for f in broken.findings] == [FindingKind.PARSE_ERROR]
    for path, result in by_path.items():
        expected = Outcome.CHANGED if files[path] == USES else Outcome.UNCHANGED
        assert result.outcome is expected, path
        if result.changed:
            assert "from new_pkg.engines import Engine" in result.new_source


def test_the_pool_and_the_serial_path_agree(campaign: Campaign) -> None:
    files = _files(16)
    tree = MemoryTree(files)
    assert apply_rules(campaign, tree, list(files), jobs=2) == apply_rules(campaign, tree, list(files), jobs=1)


def test_progress_reports_every_candidate(campaign: Campaign) -> None:
    files = _files(12)
    seen: list[tuple[int, int]] = []
    apply_rules(campaign, MemoryTree(files), list(files), jobs=2, progress=lambda d, t: seen.append((d, t)))
    candidates = sum(1 for text in files.values() if "Engine" in text)
    assert seen[-1] == (candidates, candidates)


def test_an_undecodable_file_fails_alone(campaign: Campaign, tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_bytes(b"x = '\xff\xfe'  # Engine\n")
    (tmp_path / "good.py").write_text(USES)
    results = apply_rules(campaign, DirectoryTree(tmp_path), ["bad.py", "good.py"])
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.CHANGED]
    assert "cannot decode" in results[0].findings[0].message


def test_write_results_writes_only_changed_files_keeping_mode_and_encoding(campaign: Campaign,
                                                                         tmp_path: Path) -> None:
    latin = "# -*- coding: latin-1 -*-\n" + USES + "NAME = 'caf\xe9'\n"
    (tmp_path / "latin.py").write_bytes(latin.encode("latin-1"))
    (tmp_path / "clean.py").write_text(CLEAN)
    (tmp_path / "script.py").write_text(USES)
    (tmp_path / "script.py").chmod(0o755)
    before_clean = (tmp_path / "clean.py").stat().st_mtime_ns
    tree = DirectoryTree(tmp_path)
    results = apply_rules(campaign, tree, tree.paths())
    assert sorted(write_results(tmp_path, results)) == ["latin.py", "script.py"]
    assert (tmp_path / "clean.py").stat().st_mtime_ns == before_clean
    assert "new_pkg" in (tmp_path / "latin.py").read_bytes().decode("latin-1")
    assert (tmp_path / "latin.py").read_bytes().endswith("'caf\xe9'\n".encode("latin-1"))
    assert stat.S_IMODE((tmp_path / "script.py").stat().st_mode) == 0o755
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    again = apply_rules(campaign, tree, tree.paths())
    assert not any(r.changed for r in again)  # running twice changes nothing the second time


def test_directory_tree_skips_what_is_not_the_project(tmp_path: Path) -> None:
    for path in ("a.py", "pkg/b.py", "pkg/notes.txt", ".git/hooks/c.py", ".tox/d.py", "node_modules/e.py",
                 "pkg/__pycache__/f.py", "venv1/lib/g.py", "deep/er/h.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("pass\n")
    (tmp_path / "venv1" / "pyvenv.cfg").write_text("home = /usr\n")
    assert DirectoryTree(tmp_path).paths() == ["a.py", "deep/er/h.py", "pkg/b.py"]


def test_directory_tree_decodes_by_declaration_or_says_why_not(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b"# coding: latin-1\nx = '\xe9'\n")
    (tmp_path / "bad.py").write_bytes(b"x = '\xff'\n")
    tree = DirectoryTree(tmp_path)
    assert tree.read("latin.py").endswith("x = '\xe9'\n")
    with pytest.raises(UnreadableFile, match="bad.py"):
        tree.read("bad.py")


def test_a_symlink_and_an_oversized_file_are_listed_and_left_alone(campaign: Campaign, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(USES)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "real.py").write_text(USES)
    (repo / "big.py").write_text(USES + "#" * 200 + "\n")
    (repo / "link.py").symlink_to(outside)
    tree = DirectoryTree(repo, max_bytes=len(USES) + 10)
    results = {r.path: r for r in apply_rules(campaign, tree, tree.paths(), jobs=1)}
    assert results["real.py"].outcome is Outcome.CHANGED
    for path, reason in (("link.py", "symlink"), ("big.py", "cap")):
        assert results[path].outcome is Outcome.SKIPPED
        assert [f.kind for f in results[path].findings] == [FindingKind.WARNING]
        assert reason in results[path].findings[0].message
    plan = plan_campaign(campaign, tree)
    assert plan.category("all").files == ("real.py",)
    assert plan.left_alone == ("big.py", "link.py")
    assert write_results(repo, list(results.values())) == ["real.py"]
    assert outside.read_text() == USES  # never followed out of the repository
