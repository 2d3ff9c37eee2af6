"""Counting what is left to migrate: references to migrated dotted names, by qualified name."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bot.engine.codemods.bindings import ImportSite, References, Relation, import_sites, resolve_references
from bot.engine.results import Finding, FindingKind


class _ViaAccesses(cst.CSTVisitor):
    """Collects `mod.X`-style attribute chains that denote the migrated name."""

    def __init__(self, refs: References) -> None:
        super().__init__()
        self.refs = refs
        self.found: list[cst.CSTNode] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if self.refs.denotes_old(node):
            self.found.append(node)
            return False
        return True


def _reference_nodes(wrapper: MetadataWrapper, sites: list[ImportSite], name: str) -> list[cst.CSTNode]:
    """The imports of `name` (or of something inside it) and every usage that denotes `name`."""
    nodes: list[cst.CSTNode] = [s.stmt for s in sites if s.relation in (Relation.SAME, Relation.INSIDE)]
    refs = resolve_references(wrapper, [s for s in sites if not s.module_moves], name)
    nodes.extend(refs.exact)
    if refs.via:
        visitor = _ViaAccesses(refs)
        wrapper.module.visit(visitor)
        nodes.extend(visitor.found)
    return nodes


def find_references(path: str, source: str, names: Sequence[str]) -> list[Finding]:
    """One REFERENCE_LEFT finding per remaining import or usage of each migrated dotted name, in line
    order. Strings and comments never count. A file that does not parse gives [] (validation reports
    parse errors on its own)."""
    if not names:
        return []
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return []
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    found: list[tuple[int, str]] = []
    for name in names:
        sites = import_sites(module, name)
        if not sites:
            continue
        positions = wrapper.resolve(PositionProvider)
        for node in {id(n): n for n in _reference_nodes(wrapper, sites, name)}.values():
            found.append((positions[node].start.line, name))
    return [
        Finding(path, line, FindingKind.REFERENCE_LEFT, f"move {name}", f"reference to {name} left")
        for line, name in sorted(found)
    ]
