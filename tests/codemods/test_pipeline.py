"""transform_source: rule order, parse errors, user codemods, crashes and skips, as FileResults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.campaign.spec import CallRule, CodemodRule, MoveRule, Param
from bot.engine.codemods import needles, transform_source
from bot.engine.results import FindingKind, Outcome

OLD = "pkg.execution_engine.ExecutionEngine"
NEW = "pkg.user_execution_engine.UserExecutionEngine"
CALL = CallRule(
    OLD, (Param("registry"), Param("websocket_bridge"), Param("user_context", "None")),
    "UserExecutionEngine.from_registry(registry, websocket_bridge, user_context)",
)
USER_CODEMODS = '''
import libcst as cst
from libcst.codemod import Codemod, SkipFile, VisitorBasedCodemodCommand

class Upper(VisitorBasedCodemodCommand):
    def __init__(self, context, suffix="_X"):
        super().__init__(context)
        self.suffix = suffix
    def leave_Name(self, original_node, updated_node):
        if updated_node.value == "boom":
            raise RuntimeError("kaboom")
        if updated_node.value == "skip_me":
            raise SkipFile("not for me")
        return updated_node.with_changes(value=updated_node.value + self.suffix)

NotACodemod = object
'''


@pytest.fixture
def user_root(tmp_path: Path) -> str:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "__init__.py").write_text("")
    (tmp_path / "tools" / "codemods.py").write_text(USER_CODEMODS)
    return str(tmp_path)


def test_call_then_move_with_alias_and_unmappable_call() -> None:
    source = "from pkg.execution_engine import ExecutionEngine as E\nE(r, b)\nE(**kw)\n"
    result = transform_source("t.py", source, [MoveRule(OLD, NEW), CALL])
    assert result.outcome is Outcome.CHANGED
    assert result.new_source == (
        "from pkg.user_execution_engine import UserExecutionEngine as E\nE.from_registry(r, b, None)\nE(**kw)\n"
    )
    assert [(f.kind, f.line) for f in result.findings] == [(FindingKind.UNMAPPABLE_CALL, 3)]
    again = transform_source("t.py", result.new_source, [MoveRule(OLD, NEW), CALL])
    assert again.outcome is Outcome.UNCHANGED


def test_call_rename_mode_renames_the_template_head() -> None:
    source = "from pkg.execution_engine import ExecutionEngine\nExecutionEngine(r, b)\n"
    result = transform_source("t.py", source, [CALL, MoveRule(OLD, NEW)])
    assert result.new_source == (
        "from pkg.user_execution_engine import UserExecutionEngine\nUserExecutionEngine.from_registry(r, b, None)\n"
    )


def test_parse_error_is_failed_with_its_line() -> None:
    result = transform_source("bad.py", "import pkg.execution_engine\n\ndef f(:\n", [MoveRule(OLD, NEW)])
    assert result.outcome is Outcome.FAILED
    assert [(f.kind, f.line) for f in result.findings] == [(FindingKind.PARSE_ERROR, 3)]
    assert result.new_source == result.old_source


def test_file_without_the_import_is_unchanged() -> None:
    result = transform_source("t.py", "ExecutionEngine = 1\n", [MoveRule(OLD, NEW)])
    assert result.outcome is Outcome.UNCHANGED and result.findings == ()


def test_user_codemod_from_the_repository(user_root: str) -> None:
    rule = CodemodRule("tools.codemods:Upper", (("suffix", "_Y"),))
    result = transform_source("t.py", "a = b\n", [rule], user_root=user_root)
    assert result.new_source == "a_Y = b_Y\n"


def test_crashing_user_codemod_leaves_other_files_alone(user_root: str) -> None:
    rule = CodemodRule("tools.codemods:Upper")
    crashed = transform_source("t.py", "boom()\n", [rule], user_root=user_root)
    fine = transform_source("u.py", "a = 1\n", [rule], user_root=user_root)
    assert crashed.outcome is Outcome.FAILED
    assert crashed.findings[0].kind is FindingKind.CODEMOD_ERROR and "kaboom" in crashed.findings[0].message
    assert fine.new_source == "a_X = 1\n"


def test_skip_file_is_skipped(user_root: str) -> None:
    result = transform_source("t.py", "skip_me\n", [CodemodRule("tools.codemods:Upper")], user_root=user_root)
    assert result.outcome is Outcome.SKIPPED and result.new_source == "skip_me\n"


@pytest.mark.parametrize("target", ["tools.codemods:NotACodemod", "tools.missing:Upper", "no_colon"])
def test_bad_user_codemod_is_a_finding(user_root: str, target: str) -> None:
    result = transform_source("t.py", "a\n", [CodemodRule(target)], user_root=user_root)
    assert result.outcome is Outcome.FAILED and result.findings[0].kind is FindingKind.CODEMOD_ERROR


def test_needles() -> None:
    assert needles([MoveRule(OLD, NEW), CALL]) == ("ExecutionEngine",)
    assert needles([MoveRule(OLD, NEW), CodemodRule("tools.codemods:Upper")]) == ()
