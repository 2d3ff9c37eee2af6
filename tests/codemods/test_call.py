"""RemapCallCommand: argument binding, defaults, keywords and the calls left for a human."""

from __future__ import annotations

from libcst.codemod import CodemodTest

from bot.campaign.spec import Param
from bot.engine.codemods import RemapCallCommand

RULE = {
    "old": "pkg.ee.ExecutionEngine",
    "params": (Param("registry"), Param("websocket_bridge"), Param("user_context", "None")),
    "template": "UserExecutionEngine.from_registry(registry, websocket_bridge, user_context)",
}
HEAD = "from pkg.ee import ExecutionEngine\n"


class TestRemapCall(CodemodTest):
    TRANSFORM = RemapCallCommand

    def check(self, before: str, after: str, warnings: list[str] | None = None) -> None:
        self.assertCodemod(before, after, expected_warnings=warnings or [], **RULE)
        self.assertCodemod(after, after, expected_warnings=warnings or [], **RULE)

    def test_fills_defaults(self) -> None:
        self.check(HEAD + "ExecutionEngine(reg, bridge)\n", HEAD + "ExecutionEngine.from_registry(reg, bridge, None)\n")

    def test_binds_keywords(self) -> None:
        self.check(
            HEAD + "ExecutionEngine(reg, user_context=ctx, websocket_bridge=b)\n",
            HEAD + "ExecutionEngine.from_registry(reg, b, ctx)\n",
        )

    def test_keeps_the_callee_expression(self) -> None:
        self.check(
            "from pkg.ee import ExecutionEngine as E\nimport pkg.ee as m\nE(r, b)\nm.ExecutionEngine(r, b)\n",
            "from pkg.ee import ExecutionEngine as E\nimport pkg.ee as m\n"
            "E.from_registry(r, b, None)\nm.ExecutionEngine.from_registry(r, b, None)\n",
        )

    def test_keeps_comments_between_arguments(self) -> None:
        self.check(
            HEAD + "ExecutionEngine(\n    reg,  # the registry\n    bridge)\n",
            HEAD + "ExecutionEngine.from_registry(\n    reg,  # the registry\n    bridge,\n    None)\n",
        )

    def test_one_argument_per_line_keeps_its_lines_and_trailing_comma(self) -> None:
        self.check(
            HEAD + "x = ExecutionEngine(\n    reg,\n    websocket_bridge=bridge,\n)\n",
            HEAD + "x = ExecutionEngine.from_registry(\n    reg,\n    bridge,\n    None,\n)\n",
        )

    def test_a_call_on_one_line_stays_on_one_line(self) -> None:
        self.check(HEAD + "ExecutionEngine(reg, bridge,)\n", HEAD + "ExecutionEngine.from_registry(reg, bridge, None,)\n")

    def test_kwargs_is_reported_with_its_line(self) -> None:
        before = HEAD + "x = 1\nExecutionEngine(reg, **kw)\n"
        self.check(before, before, [
            "line 3: call of pkg.ee.ExecutionEngine cannot be mapped (`**` argument); left for a human",
        ])

    def test_unknown_keyword_is_reported(self) -> None:
        before = HEAD + "ExecutionEngine(reg, bridge, colour=1)\n"
        self.check(before, before, [
            "line 2: call of pkg.ee.ExecutionEngine cannot be mapped (unexpected keyword argument `colour`);"
            " left for a human",
        ])

    def test_new_api_untouched(self) -> None:
        before = "from pkg.uee import UserExecutionEngine\nUserExecutionEngine(ctx, factory, emitter)\n"
        self.check(before, before)

    def test_local_class_of_same_name_untouched(self) -> None:
        before = "class ExecutionEngine: ...\nExecutionEngine(r, b)\n"
        self.check(before, before)
