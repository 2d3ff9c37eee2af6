"""Which import statements bind a migrated dotted path, and which expressions refer to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, ScopeProvider


class Relation(Enum):
    """How the dotted path an import binds relates to the migrated path `old`."""

    NONE = "none"
    SAME = "same"  #: binds `old` itself
    INSIDE = "inside"  #: binds something inside the module `old` (e.g. `mock.patch` for `mock`)
    HOLDS = "holds"  #: binds a module that holds `old` (e.g. `a.b` for `a.b.X`)


def relation(bound: str, old: str) -> Relation:
    if bound == old:
        return Relation.SAME
    if bound.startswith(old + "."):
        return Relation.INSIDE
    if old.startswith(bound + "."):
        return Relation.HOLDS
    return Relation.NONE


def dotted_node(path: str) -> cst.Name | cst.Attribute:
    """`a.b.c` as an expression node, built without the parser."""
    head, *rest = path.split(".")
    node: cst.Name | cst.Attribute = cst.Name(head)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def package_of(filename: str | None) -> str | None:
    """The package a repository file belongs to, for resolving its relative imports: "pkg.sub" for
    "pkg/sub/mod.py" and for "pkg/sub/__init__.py"; a leading "src/" is the layout, not the package."""
    if not filename or not filename.endswith(".py"):
        return None
    parts = filename.replace("\\", "/").split("/")
    parts = parts[1:] if len(parts) > 1 and parts[0] == "src" else parts
    return ".".join(parts[:-1])


def absolute_module(level: int, module: str | None, package: str | None) -> str | None:
    """`from ..x import y` seen from `package`: the absolute module ("a.x" from "a.b"); None when the
    file's package is unknown or the dots climb above the repository."""
    if package is None:
        return None
    parts = package.split(".") if package else []
    if level - 1 >= len(parts):
        return None  # Python's "attempted relative import beyond top-level package"
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([module] if module else [])]) or None


def split_path(path: str) -> tuple[str, str]:
    """("a.b", "X") for "a.b.X"; ("", "mock") for a top-level "mock"."""
    module, _, last = path.rpartition(".")
    return module, last


# Nodes that can hold an import statement; expressions never can, so visitors that only care about
# imports skip them, which keeps a survey of a large file to a fraction of a full traversal.
STATEMENT_NODES: tuple[type[cst.CSTNode], ...] = (
    cst.Module, cst.BaseStatement, cst.BaseSuite, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler,
    cst.Finally, cst.MatchCase, cst.Import, cst.ImportFrom,
)


@dataclass(frozen=True, eq=False)
class ImportSite:
    """One alias of one import statement that concerns `old`."""

    stmt: cst.Import | cst.ImportFrom
    alias: cst.ImportAlias
    bound: str  #: dotted path the alias binds, e.g. "a.b.X"
    local: str  #: the name the scope records: the `as` name, else the dotted module / imported name
    relation: Relation
    #: for `from M import ...` whose module M itself is (inside) `old`: the whole statement moves
    module_moves: bool = False


def sites_in(stmt: cst.Import | cst.ImportFrom, old: str, package: str | None = None) -> list[ImportSite]:
    """The aliases of `stmt` that concern `old`. Star imports never do; relative ones are resolved
    against `package` (the file's), and never concern anything when it is unknown."""
    if isinstance(stmt.names, cst.ImportStar):
        return []
    if isinstance(stmt, cst.ImportFrom):
        written = get_full_name_for_node(stmt.module) if stmt.module is not None else None
        if stmt.relative:
            resolved = absolute_module(len(stmt.relative), written, package)
            if resolved is None:
                return []
            module = resolved
        elif written is None:
            return []
        else:
            module = written
        module_moves = relation(module, old) in (Relation.SAME, Relation.INSIDE)
    sites = []
    for alias in stmt.names:
        name = get_full_name_for_node(alias.name) or ""
        asname = alias.evaluated_alias
        if isinstance(stmt, cst.Import):
            bound, local, moves = name, asname or name, False
        else:
            bound, local, moves = f"{module}.{name}", asname or name, module_moves
        rel = Relation.INSIDE if moves else relation(bound, old)
        if rel is not Relation.NONE:
            sites.append(ImportSite(stmt, alias, bound, local, rel, moves))
    return sites


class _ImportSurvey(cst.CSTVisitor):
    def __init__(self, old: str, package: str | None) -> None:
        super().__init__()
        self.old = old
        self.package = package
        self.sites: list[ImportSite] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            self.sites.extend(sites_in(node, self.old, self.package))
            return False
        return isinstance(node, STATEMENT_NODES)


def import_sites(tree: cst.Module, old: str, package: str | None = None) -> list[ImportSite]:
    """Every import alias in the module (any depth) that concerns `old`, in source order; relative
    imports are resolved against `package` (see `package_of`)."""
    survey = _ImportSurvey(old, package)
    tree.visit(survey)
    return survey.sites


@dataclass
class References:
    """Expressions that denote `old`, resolved through scope analysis of the import bindings."""

    old: str
    exact: set[cst.CSTNode] = field(default_factory=set)  #: accesses that are `old` itself
    via: dict[cst.CSTNode, str] = field(default_factory=dict)  #: module access -> attribute path to `old`
    accesses: dict[ImportSite, list[cst.CSTNode]] = field(default_factory=dict)
    #: accesses that may also refer to another binding (`x = 1` elsewhere in the scope, an import of
    #: something else in an `except` branch): rewriting them could change what they refer to
    ambiguous: set[cst.CSTNode] = field(default_factory=set)
    #: `import a.b.c` also binds `a` and `a.b`: their own uses, which need the statement kept
    prefix_uses: dict[ImportSite, list[cst.CSTNode]] = field(default_factory=dict)

    def is_ambiguous(self, node: cst.CSTNode) -> bool:
        """True when `node` (an access, or an attribute chain on one) may refer to another binding."""
        while isinstance(node, cst.Attribute) and node not in self.ambiguous:
            node = node.value
        return node in self.ambiguous

    def denotes_old(self, node: cst.CSTNode) -> bool:
        """True when `node` (a Name or Attribute of the analysed tree) refers to `old`."""
        if node in self.exact:
            return True
        if not isinstance(node, cst.Attribute):
            return False
        parts: list[str] = []
        base: cst.BaseExpression = node
        while isinstance(base, cst.Attribute) and base not in self.via:
            parts.append(base.attr.value)
            base = base.value
        if not parts or base not in self.via:
            return False
        return ".".join(reversed(parts)) == self.via[base]


def resolve_references(wrapper: MetadataWrapper, sites: Iterable[ImportSite], old: str) -> References:
    """Scope analysis of `wrapper.module` (cached in the wrapper) turned into the references to `old`."""
    scopes = wrapper.resolve(ScopeProvider)
    refs = References(old)
    sites = list(sites)
    statements = {id(site.stmt) for site in sites}
    for site in sites:
        scope = scopes.get(site.stmt)
        if scope is None or site.module_moves:
            continue
        accesses = [
            access
            for assignment in scope.assignments
            if getattr(assignment, "node", None) is site.stmt and assignment.name == site.local
            for access in assignment.references
        ]
        nodes = [access.node for access in accesses]
        refs.ambiguous.update(
            access.node for access in accesses
            if any(id(getattr(r, "node", None)) not in statements for r in access.referents)
        )
        refs.accesses[site] = nodes
        if isinstance(site.stmt, cst.Import) and site.alias.asname is None and "." in site.local:
            refs.prefix_uses[site] = [
                access.node
                for assignment in scope.assignments
                if getattr(assignment, "node", None) is site.stmt and site.local.startswith(assignment.name + ".")
                for access in assignment.references
            ]
        for node in nodes:
            if site.relation is Relation.SAME:
                refs.exact.add(node)
            elif site.relation is Relation.HOLDS:
                refs.via[node] = old[len(site.bound) + 1 :]
    return refs
