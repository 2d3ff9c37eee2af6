"""Name capture: a move or a call template never changes what a name refers to (issue 9, part 1)."""

from __future__ import annotations

import libcst as cst
import pytest

from bot.campaign.spec import CallRule, MoveRule, Param
from bot.engine.codemods import transform_source
from bot.engine.codemods.move import CaptureError, verify_targets
from bot.engine.results import FindingKind, Outcome

HTTP = [MoveRule("six.moves.http_client", "http.client")]
IMPORT = "from six.moves import http_client\n"
KEPT = "from http import client as http_client\n"

#: scope -> the body after the import; `client` is bound there, `http_client.OK` is read there
SCOPES = {
    "parameter": "\ndef f(client):\n    return http_client.OK, client\n",
    "local": "\ndef f():\n    client = 1\n    return http_client.OK + client\n",
    "comprehension": "\nx = [http_client.OK for client in range(3)]\n",
    "class body": "\nclass A:\n    client = 1\n    ok = http_client.OK\n",
    "global": "\ndef f():\n    global client\n    client = http_client.OK\n",
    "nonlocal": "\ndef f():\n    client = 0\n\n    def g():\n        nonlocal client\n        client = http_client.OK\n"
                "    return g\n",
    "builtin read": "\nclient = None\nprint(http_client.OK, client)\n",
    "star import": "\nfrom helpers import *\n\nprint(http_client.OK)\n",
}


def _move(source: str, rules: list = HTTP) -> tuple[str, list[tuple[FindingKind, int, str]]]:
    result = transform_source("pkg/m.py", source, rules)
    assert result.outcome in (Outcome.CHANGED, Outcome.UNCHANGED), result.findings
    again = transform_source("pkg/m.py", result.new_source, rules)
    assert again.new_source == result.new_source  # a second run changes nothing
    return result.new_source, [(f.kind, f.line, f.message) for f in result.findings]


@pytest.mark.parametrize("scope", list(SCOPES))
def test_a_clash_keeps_the_old_local_name_and_is_reported(scope: str) -> None:
    body = SCOPES[scope]
    after, findings = _move(IMPORT + body)
    assert after == KEPT + body
    assert [(kind, line) for kind, line, _ in findings] == [(FindingKind.WARNING, 1)]
    assert "name clash: `client`" in findings[0][2]


def test_without_a_clash_the_new_name_is_used() -> None:
    after, findings = _move(IMPORT + "\ndef f(x):\n    return http_client.OK + x\n")
    assert after == "from http import client\n\ndef f(x):\n    return client.OK + x\n"
    assert findings == []


def test_an_attribute_or_keyword_of_the_same_name_is_no_clash() -> None:
    after, findings = _move(IMPORT + "obj.client = f(client=http_client.OK)\n")
    assert after == "from http import client\nobj.client = f(client=client.OK)\n"
    assert findings == []


def test_a_dotted_import_whose_head_clashes_gets_a_fresh_alias() -> None:
    before = "import six.moves.http_client\n\n\ndef f(http):\n    return six.moves.http_client.OK, http\n"
    after, findings = _move(before)
    assert after == "import http.client as http_client\n\n\ndef f(http):\n    return http_client.OK, http\n"
    assert [(k, line) for k, line, _ in findings] == [(FindingKind.WARNING, 1)]


def test_a_module_holding_the_name_whose_new_head_clashes() -> None:
    before = "from six import moves\n\n\ndef f(http):\n    return moves.http_client.OK, http\n"
    after, _ = _move(before)
    assert after == "import http as http_2\n\n\ndef f(http):\n    return http_2.client.OK, http\n"


def test_the_fresh_alias_avoids_every_name_in_the_file() -> None:
    before = "import six.moves.http_client\nhttp_client = 1\n\n\ndef f(http):\n    return six.moves.http_client.OK\n"
    after, _ = _move(before)
    assert "import http.client as http_client_2\n" in after
    assert "return http_client_2.OK" in after


def test_a_name_in_a_string_annotation_counts() -> None:
    before = IMPORT + "\ndef f(x: 'client') -> None:\n    return http_client.OK\n"
    after, findings = _move(before)
    assert after.startswith(KEPT) and findings


def test_a_local_rename_of_a_class_into_a_name_used_elsewhere() -> None:
    rules = [MoveRule("old.mod.Engine", "new.mod.Runner")]
    before = "from old.mod import Engine\n\n\ndef run(Runner):\n    return Engine(Runner)\n"
    after, findings = _move(before, rules)
    assert after == "from new.mod import Runner as Engine\n\n\ndef run(Runner):\n    return Engine(Runner)\n"
    assert findings


CALL = [CallRule("pkg.ee.Engine", (Param("a"),), "Engine.make(a, default_registry())")]


def test_a_call_template_name_bound_around_the_call_leaves_the_call_alone() -> None:
    before = "from pkg.ee import Engine\n\n\ndef f(default_registry):\n    return Engine(1)\n"
    result = transform_source("m.py", before, CALL)
    assert result.new_source == before
    assert [(f.kind, f.line) for f in result.findings] == [(FindingKind.UNMAPPABLE_CALL, 5)]
    assert "`default_registry`" in result.findings[0].message


def test_a_call_template_name_at_module_level_is_what_the_template_means() -> None:
    before = "from pkg.ee import Engine\nfrom pkg.reg import default_registry\n\n\ndef f():\n    return Engine(1)\n"
    result = transform_source("m.py", before, CALL)
    assert "return Engine.make(1, default_registry())" in result.new_source
    assert result.findings == ()


def test_verify_targets_refuses_a_captured_reference() -> None:
    tree = cst.parse_module("from http import client\n\n\ndef f(client):\n    return client.OK\n")
    function = tree.body[1]
    assert isinstance(function, cst.FunctionDef)
    statement = function.body.body[0]
    assert isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Return)
    value = statement.body[0].value
    assert isinstance(value, cst.Attribute)
    with pytest.raises(CaptureError, match="would refer to f.<locals>.client"):
        verify_targets(tree, [(value.value, "http.client")])
    module_level = cst.parse_module("from http import client\nclient.OK\n")
    line = module_level.body[1]
    assert isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.Expr)
    expr = line.body[0].value
    assert isinstance(expr, cst.Attribute)
    verify_targets(module_level, [(expr.value, "http.client")])  # resolves: no error


def test_a_usage_that_may_mean_another_binding_keeps_the_old_name() -> None:
    before = "try:\n    from six.moves import http_client\nexcept ImportError:\n    http_client = None\nhttp_client.OK\n"
    after, findings = _move(before)
    assert after == before.replace(IMPORT.strip(), KEPT.strip())
    assert [(k, line) for k, line, _ in findings] == [(FindingKind.WARNING, 5)]


def test_a_rebound_module_name_is_not_rewritten_and_its_import_stays() -> None:
    before = "from six import moves\nif flag:\n    moves = None\nprint(moves.http_client.OK)\n"
    after, findings = _move(before)
    assert after == before
    assert findings == []


def test_a_dotted_import_whose_head_is_used_alone_is_left_as_it_is() -> None:
    before = "import six.moves.http_client\n\nprint(six.moves.http_client.OK, six.PY3)\n"
    after, findings = _move(before)
    assert after == before
    assert [(k, line) for k, line, _ in findings] == [(FindingKind.WARNING, 3)]


def test_a_module_holding_the_name_stays_imported_while_its_head_is_used() -> None:
    rules = [MoveRule("old.mod.Engine", "new.mod.Runner")]
    before = "import old.mod\n\nprint(old.mod.Engine(), old.VERSION)\n"
    after, _ = _move(before, rules)
    assert after == "import old.mod\nimport new.mod\n\nprint(new.mod.Runner(), old.VERSION)\n"
