"""MoveNameCommand: every import shape, alias modes, and the second pass."""

from __future__ import annotations

from libcst.codemod import CodemodTest

from bot.engine.codemods import MoveNameCommand

OLD, NEW = "old.mod.Engine", "new.mod.UserEngine"


class TestMoveName(CodemodTest):
    TRANSFORM = MoveNameCommand

    def check(self, before: str, after: str, **kwargs: object) -> None:
        args = {"old": OLD, "new": NEW, **kwargs}
        self.assertCodemod(before, after, **args)
        self.assertCodemod(after, after, **args)

    def test_from_import_renames_usages(self) -> None:
        self.check("from old.mod import Engine\nEngine()\n", "from new.mod import UserEngine\nUserEngine()\n")

    def test_alias_keep_keeps_usages(self) -> None:
        self.check(
            "from old.mod import Engine\nEngine()\n", "from new.mod import UserEngine as Engine\nEngine()\n",
            alias="keep",
        )

    def test_keeps_local_alias(self) -> None:
        self.check("from old.mod import Engine as E\nE()\n", "from new.mod import UserEngine as E\nE()\n")

    def test_splits_multi_name_import(self) -> None:
        self.check(
            "from old.mod import Other, Engine, Third  # why\nEngine(Other)\n",
            "from old.mod import Other, Third  # why\nfrom new.mod import UserEngine\nUserEngine(Other)\n",
        )

    def test_module_attribute_usage(self) -> None:
        self.check("import old.mod\nold.mod.Engine()\nold.mod.other()\n",
                   "import old.mod\nimport new.mod\nnew.mod.UserEngine()\nold.mod.other()\n")

    def test_module_alias_usage_drops_unused_import(self) -> None:
        self.check("import old.mod as m\nm.Engine()\n", "import new.mod\nnew.mod.UserEngine()\n")

    def test_parent_module_from_import(self) -> None:
        self.check("from old import mod\nmod.Engine()\n", "import new.mod\nnew.mod.UserEngine()\n")

    def test_import_inside_function_stays_there(self) -> None:
        self.check(
            "def f():\n    from old.mod import Engine\n    return Engine()\n",
            "def f():\n    from new.mod import UserEngine\n    return UserEngine()\n",
        )

    def test_type_checking_block_not_hoisted(self) -> None:
        self.check(
            "import os\nif TYPE_CHECKING:\n    from old.mod import Engine, Other\n",
            "import os\nif TYPE_CHECKING:\n    from old.mod import Other\n    from new.mod import UserEngine\n",
        )

    def test_try_except_import_error(self) -> None:
        self.check(
            "try:\n    from old.mod import Engine\nexcept ImportError:\n    Engine = None\n",
            "try:\n    from new.mod import UserEngine as Engine\nexcept ImportError:\n    Engine = None\n",
            alias="keep",
        )

    def test_whole_module_move(self) -> None:
        before = "import mock\nfrom mock import patch, MagicMock\nmock.call\n"
        after = "from unittest import mock\nfrom unittest.mock import patch, MagicMock\nmock.call\n"
        self.check(before, after, old="mock", new="unittest.mock")

    def test_strings_and_comments_untouched(self) -> None:
        self.check(
            "from old.mod import Engine  # Engine\nx = 'old.mod.Engine'\nEngine\n",
            "from new.mod import UserEngine  # Engine\nx = 'old.mod.Engine'\nUserEngine\n",
        )

    def test_shadowed_name_untouched(self) -> None:
        self.check(
            "from old.mod import Engine\ndef f(Engine):\n    return Engine\n",
            "from new.mod import UserEngine\ndef f(Engine):\n    return Engine\n",
        )

    def test_new_api_untouched(self) -> None:
        self.check("from new.mod import UserEngine\nUserEngine()\n", "from new.mod import UserEngine\nUserEngine()\n")

    def test_no_op_without_import(self) -> None:
        self.check("Engine = 1\nprint(Engine)\n", "Engine = 1\nprint(Engine)\n")

    def test_module_target_imports_the_module_itself(self) -> None:
        # `import http` alone would not load `http.client`: the usage needs `import http.client`
        before = "import six\n\ndef status():\n    return six.moves.http_client.OK\n"
        after = "import http.client\n\ndef status():\n    return http.client.OK\n"
        self.check(before, after, old="six.moves.http_client", new="http.client")

    def test_module_target_through_a_from_import(self) -> None:
        self.check("from six import moves\nmoves.http_client.OK\n", "import http.client\nhttp.client.OK\n",
                   old="six.moves.http_client", new="http.client")

    def test_module_target_with_a_clashing_head_gets_an_alias_of_the_module(self) -> None:
        before = "import six\nhttp = 'h'\nx = six.moves.http_client.OK\n"
        after = "import http.client as http_client\nhttp = 'h'\nx = http_client.OK\n"
        self.assertCodemod(before, after, old="six.moves.http_client", new="http.client",
                           expected_warnings=["line 1: name clash: `http` is already used in this file (or may "
                                              "come from a star import), so binding it for http.client could "
                                              "change what a name refers to; the new module is imported as "
                                              "`http_client`"])

    def test_name_target_imports_its_module(self) -> None:
        self.check("import six\nsix.moves.reduce(f, xs)\n", "import functools\nfunctools.reduce(f, xs)\n",
                   old="six.moves.reduce", new="functools.reduce")
