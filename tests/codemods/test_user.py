"""load_codemod: the user's root first on sys.path, and nothing of it left behind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from libcst.codemod import Codemod

from bot import sandbox
from bot.campaign.spec import CodemodRule
from bot.engine.codemods import CodemodLoadError, load_codemod, pipeline, transform_source
from bot.engine.codemods.user import codemods_run_by
from bot.engine.results import Outcome


def _write(root: Path, body: str) -> str:
    (root / "mycodemods.py").write_text(body)
    return str(root)


def test_loads_and_restores_path(tmp_path: Path) -> None:
    root = _write(tmp_path, "from libcst.codemod import VisitorBasedCodemodCommand\n"
                            "class Noop(VisitorBasedCodemodCommand):\n    pass\n")
    before = list(sys.path)
    loaded = load_codemod("mycodemods:Noop", root)
    assert issubclass(loaded, Codemod)
    assert sys.path == before and "mycodemods" not in sys.modules


def test_import_error_is_explained(tmp_path: Path) -> None:
    root = _write(tmp_path, "raise ImportError('needs numpy')\n")
    with pytest.raises(CodemodLoadError, match="needs numpy"):
        load_codemod("mycodemods:Noop", root)


HOSTILE = """
import os, sys
import libcst as cst
from libcst.codemod import SkipFile, VisitorBasedCodemodCommand

import bot.engine.codemods.pipeline as pipeline
pipeline.transform_source = None  # would break every later task, were it this process

class Suffix(VisitorBasedCodemodCommand):
    def __init__(self, context, suffix="_x"):
        super().__init__(context)
        self.suffix = suffix

    def visit_Module(self, node):
        if "skip me" in node.code:
            raise SkipFile("asked to")
        self.warn(f"token={os.environ.get('GITHUB_TOKEN')} pid={os.getpid()}")

    def leave_Name(self, original, updated):
        return updated.with_changes(value=updated.value + self.suffix) if updated.value == "a" else updated

class Crash(VisitorBasedCodemodCommand):
    def visit_Module(self, node):
        raise RuntimeError("boom")
"""


@pytest.mark.parametrize("kind", ["bwrap", "plain"])
def test_a_codemod_rule_runs_in_a_child_and_only_its_changes_come_back(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sandbox.bwrap_problem() is None, f"needs bwrap (Debian package {sandbox.BWRAP_PACKAGE!r})"
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_worker_secret")
    root = _write(tmp_path, HOSTILE)
    runner = sandbox.BwrapRunner() if kind == "bwrap" else sandbox.PlainRunner()
    rule = CodemodRule("mycodemods:Suffix", (("suffix", "_y"),))
    with codemods_run_by(sandbox.SandboxedCodemods(runner, Path(root))):
        changed = transform_source("x.py", "a = 1\n", [rule], user_root=root)
        skipped = transform_source("y.py", "# skip me\na = 1\n", [rule], user_root=root)
        crashed = transform_source("z.py", "a = 1\n", [CodemodRule("mycodemods:Crash")], user_root=root)
    assert changed.outcome is Outcome.CHANGED and changed.new_source == "a_y = 1\n"
    [warning] = changed.findings
    assert warning.message.startswith("token=None pid=")
    assert skipped.outcome is Outcome.SKIPPED and "asked to" in skipped.findings[0].message
    assert crashed.outcome is Outcome.FAILED and "RuntimeError: boom" in crashed.findings[0].message
    assert "mycodemods" not in sys.modules
    assert pipeline.transform_source is transform_source  # the user's module never ran here


def test_without_a_sandbox_a_codemod_rule_fails(tmp_path: Path) -> None:
    root = _write(tmp_path, HOSTILE)
    with codemods_run_by(sandbox.SandboxedCodemods(sandbox.NoSandbox(), Path(root))):
        result = transform_source("x.py", "a = 1\n", [CodemodRule("mycodemods:Suffix")], user_root=root)
    assert result.outcome is Outcome.FAILED and sandbox.NO_SANDBOX in result.findings[0].message
