"""RenameMethodCommand: the class and its instances, nothing else."""

from __future__ import annotations

from libcst.codemod import CodemodTest

from bot.engine.codemods import RenameMethodCommand

RULE = {"old": "pkg.ee.Engine.run_old", "new": "run"}


class TestRenameMethod(CodemodTest):
    TRANSFORM = RenameMethodCommand

    def check(self, before: str, after: str) -> None:
        self.assertCodemod(before, after, **RULE)
        self.assertCodemod(after, after, **RULE)

    def test_through_the_class(self) -> None:
        self.check("from pkg.ee import Engine\nEngine.run_old(1)\n", "from pkg.ee import Engine\nEngine.run(1)\n")

    def test_through_an_instance(self) -> None:
        self.check(
            "from pkg.ee import Engine\ne = Engine()\ne.run_old()\n",
            "from pkg.ee import Engine\ne = Engine()\ne.run()\n",
        )

    def test_unknown_receiver_untouched(self) -> None:
        before = "from pkg.ee import Engine\ndef f(e):\n    e.run_old()\n"
        self.check(before, before)
