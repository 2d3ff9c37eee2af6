"""The demo's sample repository: its deprecated imports, planted hard cases, real test suite and campaign."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.campaign.globs import category_for
from bot.campaign.load import load_campaign, unmatched_globs
from bot.demo.sample import CAMPAIGN_FILE, SampleRepo, generate_sample_repo

OLD_MODULE = "netra_backend.app.agents.supervisor.execution_engine"
PLANNED = {"tests/mission_critical": 25, "tests/integration": 45, "tests/e2e": 30, "tests/unit": 28}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleRepo:
    return generate_sample_repo(tmp_path_factory.mktemp("sample") / "repo")


def _imports_of_old_engine(tree: ast.AST) -> int:
    """Counted independently of the generator: any import binding the old module or its class."""
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module == OLD_MODULE:
                count += any(alias.name == "ExecutionEngine" for alias in node.names)
            elif node.module == OLD_MODULE.rsplit(".", 1)[0]:
                count += any(alias.name == "execution_engine" for alias in node.names)
        elif isinstance(node, ast.Import):
            count += any(alias.name == OLD_MODULE for alias in node.names)
    return count


def _parsed_counts(root: Path, folder: str) -> dict[str, int]:
    counts = {}
    for path in sorted((root / folder).rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        if found := _imports_of_old_engine(tree):
            counts[path.relative_to(root).as_posix()] = found
    return counts


@pytest.mark.parametrize(("folder", "files"), sorted(PLANNED.items()))
def test_each_folder_has_the_planned_files_with_one_deprecated_import(
    sample: SampleRepo, folder: str, files: int
) -> None:
    counts = _parsed_counts(sample.root, folder)
    assert len(counts) == files
    assert set(counts.values()) == {1}
    assert sample.imports_per_folder[folder] == files


def test_there_are_128_deprecated_imports_in_total(sample: SampleRepo) -> None:
    total = sum(sum(_parsed_counts(sample.root, folder).values()) for folder in PLANNED)
    assert total == sample.total_imports == 128


def test_generated_suite_passes_under_pytest(sample: SampleRepo, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PYTEST_ADDOPTS"}}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=sample.root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("failures", "-1")) == int(suite.get("errors", "-1")) == 0
    assert int(suite.get("tests", "0")) >= 128
    broken_file, broken_name = sample.broken_test_id.split("::")
    ran = {(case.get("classname"), case.get("name")) for case in suite.iter("testcase")}
    assert (broken_file.removesuffix(".py").replace("/", "."), broken_name) in ran


def test_syntax_error_file_does_not_parse_and_is_not_collected(sample: SampleRepo) -> None:
    path = sample.root / sample.syntax_error
    text = path.read_text(encoding="utf-8")
    assert "ExecutionEngine" in text
    assert not path.name.startswith("test_")
    with pytest.raises(SyntaxError):
        ast.parse(text)


def test_aliased_import_binds_the_engine_under_another_name(sample: SampleRepo) -> None:
    tree = ast.parse((sample.root / sample.aliased_import).read_text(encoding="utf-8"))
    aliases = [a for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == OLD_MODULE
               for a in n.names]
    assert [(a.name, a.asname) for a in aliases] == [("ExecutionEngine", "Engine")]


def test_kwargs_file_calls_the_engine_with_double_star(sample: SampleRepo) -> None:
    tree = ast.parse((sample.root / sample.kwargs_call).read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "ExecutionEngine"]
    assert any(keyword.arg is None for call in calls for keyword in call.keywords)


def test_broken_test_is_defined_where_reported(sample: SampleRepo) -> None:
    path, name = sample.broken_test_id.split("::")
    assert path == sample.broken_test
    tree = ast.parse((sample.root / path).read_text(encoding="utf-8"))
    assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_generation_is_deterministic_and_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    first = generate_sample_repo(tmp_path / "one")
    elapsed = time.perf_counter() - started
    second = generate_sample_repo(tmp_path / "two")

    def snapshot(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert snapshot(first.root) == snapshot(second.root)
    assert sorted(snapshot(first.root)) == list(first.files)
    assert elapsed < 0.5


def test_campaign_loads_and_its_categories_cover_every_deprecated_import(sample: SampleRepo) -> None:
    campaign = load_campaign(CAMPAIGN_FILE)
    assert campaign.id == "execution-engine-ssot"
    assert [c.name for c in campaign.categories] == ["mission-critical", "integration", "e2e", "unit"]
    assert unmatched_globs(campaign, sample.files) == []
    by_folder = dict(zip(PLANNED, [c.name for c in campaign.categories], strict=True))
    for folder, category in by_folder.items():
        for path in [*_parsed_counts(sample.root, folder), *(
                [sample.syntax_error] if sample.syntax_error.startswith(folder + "/") else [])]:
            found = category_for(campaign, path)
            assert found is not None and found.name == category, path
