"""The demo's sample repository: a small agent backend whose tests still use the deprecated engine."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.demo.sample_app import APP_SOURCES
from bot.demo.sample_planted import (
    ALIASED_IMPORT,
    BROKEN_TEST,
    BROKEN_TEST_NAME,
    KWARGS_CALL,
    SYNTAX_ERROR,
)
from bot.demo.sample_scenarios import OLD_MODULE
from bot.demo.sample_suite import suite_sources

#: the campaign that migrates the sample, shipped beside this module
CAMPAIGN_FILE = Path(__file__).with_name("campaign.yml")
#: the folders the migration plan's four phases cover, in rollout order
FOLDERS = ("tests/mission_critical", "tests/integration", "tests/e2e", "tests/unit")

_OLD_PACKAGE, _OLD_NAME = OLD_MODULE.rsplit(".", 1)


@dataclass(frozen=True)
class SampleRepo:
    """What generate_sample_repo wrote; paths are relative to `root`, "/" separated."""

    root: Path
    #: deprecated ExecutionEngine imports per folder of FOLDERS, counted by parsing the files
    imports_per_folder: Mapping[str, int] = field(hash=False)
    files: tuple[str, ...]
    aliased_import: str  #: `import ExecutionEngine as Engine`
    kwargs_call: str  #: `ExecutionEngine(**engine_kwargs)`, which no rule can map
    syntax_error: str  #: mentions ExecutionEngine, does not parse, is not collected by pytest
    broken_test: str  #: the file holding the one test the migration really breaks
    broken_test_id: str  #: that test's pytest node id

    @property
    def total_imports(self) -> int:
        return sum(self.imports_per_folder.values())


def generate_sample_repo(dest: Path) -> SampleRepo:
    """Write the sample project into `dest` (created if missing; no git) and describe it.

    The output is the same bytes on every run. Its test suite passes as written; after the
    campaign's mechanical migration exactly one test (`broken_test_id`) fails.
    """
    dest = Path(dest)
    sources = {**APP_SOURCES, **suite_sources()}
    for relative in sorted(sources):
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sources[relative].encode("utf-8"))
    counts = {folder: 0 for folder in FOLDERS}
    for relative, text in sources.items():
        folder = next((f for f in FOLDERS if relative.startswith(f + "/")), None)
        if folder is not None and relative != SYNTAX_ERROR:
            counts[folder] += deprecated_imports(text)
    return SampleRepo(
        root=dest,
        imports_per_folder=counts,
        files=tuple(sorted(sources)),
        aliased_import=ALIASED_IMPORT,
        kwargs_call=KWARGS_CALL,
        syntax_error=SYNTAX_ERROR,
        broken_test=BROKEN_TEST,
        broken_test_id=f"{BROKEN_TEST}::{BROKEN_TEST_NAME}",
    )


def deprecated_imports(source: str) -> int:
    """Import statements in `source` that bind the deprecated engine or its module, at any depth."""
    count = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            wanted = {OLD_MODULE: "ExecutionEngine", _OLD_PACKAGE: _OLD_NAME}.get(node.module or "")
            count += any(alias.name == wanted for alias in node.names)
        elif isinstance(node, ast.Import):
            count += any(alias.name == OLD_MODULE for alias in node.names)
    return count
