"""Counting what is left to migrate: references to migrated dotted names, by qualified name.

Two paths give the same answer. libCST's scope analysis is the reference (`scope_references`); it costs
about 25 ms for a small file. The stdlib parser (C) answers most files in a fraction of that: it finds the
import sites, and when every name they bind is bound only by imports in module or function scopes, reads
each usage's meaning off the tree directly (`quick_references`). Anything it cannot decide that way
(shadowing, names in string annotations or f-strings, a usage before its import) sends the whole file to libCST.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bot.engine.codemods.bindings import (
    ImportSite,
    References,
    Relation,
    import_sites,
    package_of,
    resolve_references,
)
from bot.engine.codemods.usages import Site, Survey, Usage, import_aliases, sites_concerning
from bot.engine.results import Finding, FindingKind

_Found = list[tuple[int, str]]  #: (line, migrated name), one per reference


def find_references(path: str, source: str, names: Sequence[str]) -> list[Finding]:
    """One REFERENCE_LEFT finding per remaining import or usage of each migrated dotted name, in line
    order. Strings and comments never count. A file that does not parse gives [] (validation reports
    parse errors on its own)."""
    if not names:
        return []
    package = package_of(path)
    found = quick_references(source, names, package)
    if found is None:
        found = _scope_lines(source, names, package)
    return _findings(path, found)


def reference_lines(path: str, source: str, names: Sequence[str]) -> list[tuple[int, str]]:
    """(line, name) per reference, in no particular order: what `find_references` reports, unwrapped."""
    if not names:
        return []
    package = package_of(path)
    found = quick_references(source, names, package)
    return found if found is not None else _scope_lines(source, names, package)


def scope_references(path: str, source: str, names: Sequence[str]) -> list[Finding]:
    """The same findings from libCST's scope analysis alone: the reference `find_references` must match."""
    return _findings(path, _scope_lines(source, names, package_of(path))) if names else []


def _findings(path: str, found: _Found) -> list[Finding]:
    return [
        Finding(path, line, FindingKind.REFERENCE_LEFT, f"move {name}", f"reference to {name} left")
        for line, name in sorted(found)
    ]


# --- the stdlib path -------------------------------------------------------------------------------------


def quick_references(source: str, names: Sequence[str], package: str | None = None) -> _Found | None:
    """(line, name) per reference, read from the stdlib tree; None when only scope analysis can tell."""
    if "\r" in source.replace("\r\n", ""):
        return None  # lone carriage returns: line numbering is not worth second-guessing
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    aliases = import_aliases(tree, package)
    sites = {name: sites_concerning(aliases, name) for name in names}
    heads = {s.head for found in sites.values() for s in found if s.resolves}
    if not any(sites.values()):
        return []
    survey = Survey(heads)
    if heads and not survey.run(tree, aliases):
        return None
    found: _Found = []
    for name, name_sites in sites.items():
        lines = _lines_for(name, name_sites, survey)
        if lines is None:
            return None
        found.extend((line, name) for line in lines)
    return found


def _lines_for(old: str, sites: list[Site], survey: Survey) -> list[int] | None:
    """Lines of the import statements and usages that denote `old`; None when a usage is ambiguous."""
    nodes: dict[int, int] = {}  #: id(node) -> line, so a node found twice counts once
    for site in sites:
        if site.relation in (Relation.SAME, Relation.INSIDE):
            nodes[id(site.stmt)] = site.stmt.lineno
    for site in sites:
        if not site.resolves:
            continue
        for usage in survey.usages_of(site):
            node = _denoting(usage, site, old)
            if node is not None:
                nodes[id(node)] = node.lineno  # ast and libCST both start a node after its own "("
    return list(nodes.values())


def _denoting(usage: Usage, site: Site, old: str) -> ast.expr | None:
    """The node of `usage` that denotes `old` through `site`: the access itself for an import of `old`,
    the attribute chain continuing it by the rest of the path for an import of a module holding `old`."""
    if site.relation is Relation.SAME:
        return usage.chain[usage.depth]
    rest = old[len(site.bound) + 1 :].split(".")
    end = usage.depth + len(rest)
    if end < len(usage.chain) and usage.attrs[usage.depth : end] == tuple(rest):
        return usage.chain[end]
    return None


# --- the libCST path -------------------------------------------------------------------------------------


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


def _scope_lines(source: str, names: Sequence[str], package: str | None = None) -> _Found:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return []
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    found: _Found = []
    for name in names:
        sites = import_sites(module, name, package)
        if not sites:
            continue
        positions = wrapper.resolve(PositionProvider)
        for node in {id(n): n for n in _reference_nodes(wrapper, sites, name)}.values():
            found.append((positions[node].start.line, name))
    return found
