"""Property: no rewrite changes what a name refers to (generated modules, analysed before and after).

Every name and attribute chain of a generated module is resolved through libCST's scope analysis to its
qualified names, before and after the move. Mapping the old dotted path to the new one in the "before"
answers must give the "after" answers, chain by chain, in source order (a chain the move leaves alone, such
as a usage before its import, keeps its old answer; nothing may come to mean a third thing).
"""

from __future__ import annotations

import libcst as cst
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, ScopeProvider

from bot.campaign.spec import AliasMode, MoveRule
from bot.engine.codemods import transform_source
from bot.engine.results import Outcome

OLD, NEW = "six.moves.http_client", "http.client"
#: import statement -> the expression that reads OLD.OK through it
IMPORTS = {
    "from six.moves import http_client": "http_client.OK",
    "from six.moves import http_client as hc": "hc.OK",
    "import six.moves.http_client": "six.moves.http_client.OK",
    "from six import moves": "moves.http_client.OK",
    "import six.moves": "six.moves.http_client.OK",
}
NAMES = ("client", "http", "http_client", "http_2", "hc", "moves", "six", "x", "len")


def _block(kind: str, name: str, use: str, index: int) -> str:
    blocks = {
        "assign": f"{name} = 1\n",
        "read": f"print({use}, {name})\n",
        "parameter": f"def f{index}({name}):\n    return {use}, {name}\n",
        "local": f"def f{index}():\n    {name} = 1\n    return {use}, {name}\n",
        "shadow": f"def f{index}():\n    {name} = {use}\n    return {name}\n",
        "comprehension": f"v{index} = [({use}, {name}) for {name} in range(3)]\n",
        "class": f"class C{index}:\n    {name} = 1\n    ok = ({use}, {name})\n",
        "global": f"def f{index}():\n    global {name}\n    {name} = {use}\n",
        "nonlocal": f"def f{index}():\n    {name} = 0\n\n    def g():\n        nonlocal {name}\n"
                    f"        {name} = {use}\n\n    return g\n",
        "star": "from helpers import *\n",
    }
    return blocks[kind]


KINDS = ("assign", "read", "parameter", "local", "shadow", "comprehension", "class", "global", "nonlocal", "star")
LATER = ("assign", "parameter", "local", "shadow", "global", "nonlocal", "star")


@st.composite
def modules(draw: st.DrawFn) -> str:
    statement = draw(st.sampled_from(sorted(IMPORTS)))
    use = IMPORTS[statement]
    # before the import only what runs later (function bodies) or binds: a module-level read above its
    # import is a NameError either way, and the scope analysis reads it as if it came after
    early = draw(st.lists(st.tuples(st.sampled_from(LATER), st.sampled_from(NAMES)), max_size=3))
    late = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(NAMES)), min_size=1, max_size=5))
    head = use.split(".", 1)[0]
    # `moves = moves.http_client.OK` in a function is an UnboundLocalError before and after: not a program
    assume(not any(kind == "shadow" and name == head for kind, name in early + late))
    parts = [_block(kind, name, use, i) for i, (kind, name) in enumerate(early + late)]
    parts.insert(len(early), statement + "\n")
    source = "\n".join(parts)
    try:
        compile(source, "<generated>", "exec")
    except SyntaxError:
        assume(False)
    return source


class _Chains(cst.CSTVisitor):
    """The qualified names of every name or attribute chain outside import statements, in source order."""

    def __init__(self, scopes: object) -> None:
        super().__init__()
        self.scopes = scopes
        self.found: list[tuple[str, ...]] = []

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        base: cst.BaseExpression = node
        while isinstance(base, cst.Attribute):
            base = base.value
        if isinstance(base, cst.Name):
            self._record(node)
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        self._record(node)

    def _record(self, node: cst.CSTNode) -> None:
        scope = self.scopes.get(node)  # type: ignore[attr-defined]
        names = scope.get_qualified_names_for(node) if scope is not None else set()
        self.found.append(tuple(sorted(q.name for q in names)))


def resolved(source: str) -> list[tuple[str, ...]]:
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    visitor = _Chains(wrapper.resolve(ScopeProvider))
    wrapper.module.visit(visitor)
    return visitor.found


def _renamed(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(NEW + n[len(OLD):] if n == OLD or n.startswith(OLD + ".") else n for n in names))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(modules(), st.sampled_from(list(AliasMode)))
def test_a_move_never_changes_what_a_name_refers_to(source: str, alias: AliasMode) -> None:
    result = transform_source("gen.py", source, [MoveRule(OLD, NEW, alias)])
    assert result.outcome in (Outcome.CHANGED, Outcome.UNCHANGED), (source, result.findings)
    compile(result.new_source, "<after>", "exec")
    before, after = resolved(source), resolved(result.new_source)
    assert len(before) == len(after), (source, result.new_source)
    for old, new in zip(before, after, strict=True):
        # a chain is either left alone, or now names the new target; never anything else
        assert new in (old, _renamed(old)), (source, result.new_source, old, new)
