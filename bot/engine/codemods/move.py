"""MoveNameCommand: a module-level name, or a whole module, moves to a new dotted path."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

from bot.campaign.spec import AliasMode
from bot.engine.codemods.bindings import (
    STATEMENT_NODES,
    ImportSite,
    References,
    Relation,
    dotted_node,
    import_sites,
    names_a_module,
    resolve_references,
    split_path,
)
from bot.engine.codemods.command import ANALYSED_KEY, MigrationCommand
from bot.engine.codemods.names import add_identifiers, clashes, fresh_name, identifiers
from bot.engine.codemods.statements import DeadFallbacks, ImportStatementRewriter, dead_fallbacks
from bot.engine.results import FindingKind


class CaptureError(Exception):
    """A rewritten reference would not resolve to the new target: the file is left alone."""


class MoveNameCommand(MigrationCommand):
    """Rewrite imports of `old` where they stand (never hoisted) and the usages whose binding changes.

    Usages are found through scope analysis of the import bindings, never by text; strings and comments
    are untouched. The scope analysis only runs when a usage must change (e.g. `from a import X` becoming
    `from b import Y` in rename mode); a move that keeps every local name rewrites import statements only.
    Running it on its own output changes nothing: no import of `old` is left.
    """

    DESCRIPTION = "Move a module-level name, or a whole module, to a new dotted path."

    def __init__(self, context: object, old: str, new: str, alias: AliasMode | str = AliasMode.RENAME) -> None:
        super().__init__(context)  # type: ignore[arg-type]
        self.old, self.new = old, new
        self.keep = AliasMode(alias) is AliasMode.KEEP
        self.new_module, self.new_last = split_path(new)
        #: what a `mod.X`-style usage imports: the new path itself when it is a module, else its module
        self.import_path = new if names_a_module(new) else (self.new_module or new)
        self._replace: dict[cst.CSTNode, cst.BaseExpression] = {}
        self._refs = References(old)
        self._rewritten: set[cst.CSTNode] = set()
        self._prune = True
        #: sites whose new local name would clash: they keep the old local name as an alias
        self._kept: set[ImportSite] = set()
        #: `import` sites whose new dotted head would clash -> the fresh name bound with `as`
        self._aliased: dict[ImportSite, str] = {}
        #: `import a.b` sites with an ambiguous usage: left exactly as they are
        self._untouched: set[ImportSite] = set()
        #: the name standing for the new module in `mod.X`-style usages, when its head would clash
        self._module_alias: str | None = None
        #: every expression put in the tree for a usage, with the qualified name it must resolve to
        self._inserted: list[tuple[cst.CSTNode, str]] = []

    # -- planning -------------------------------------------------------------------------------
    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        sites = import_sites(tree, self.old, self.package)
        if not sites:
            return tree
        scoped = [site for site in sites if self._changes_binding(site)]
        if scoped:
            self._refs = resolve_references(self.wrapper, scoped, self.old)
            scoped = self._leave_ambiguous(scoped)
            self._avoid_capture(tree, scoped)
            scoped = [site for site in scoped if site not in self._kept]
        if scoped:
            add_identifiers(self.context.scratch, self._bound_names())
            self._plan_usages(scoped)
            if self._replace or self._refs.via:  # else no usage changes: no full walk
                self._prune = False
                tree = tree.visit(self)
        by_stmt: dict[int, list[ImportSite]] = {}
        for site in sites:
            by_stmt.setdefault(id(site.stmt), []).append(site)
        already = dead_fallbacks(tree)  # a statements-only walk: cheap
        rewriter = ImportStatementRewriter(self._rewrite_statement, by_stmt)
        tree = tree.visit(rewriter)
        tree = tree.visit(DeadFallbacks(already))
        if self._inserted:
            self._verify(tree)
        return tree

    # -- name capture ---------------------------------------------------------------------------
    def _avoid_capture(self, tree: cst.Module, sites: Sequence[ImportSite]) -> None:
        """Decides, before anything is rewritten, how each site binds its new name without capture."""
        taken = identifiers(tree, self.context.scratch)
        for site in sites:
            if site.relation is Relation.HOLDS:
                head = self.import_path.split(".", 1)[0]
                if self._module_alias is None and head != site.local.split(".", 1)[0] and clashes(head, taken):
                    self._module_alias = fresh_name(self.import_path.replace(".", "_"), taken)
                    self._clash(site, head, f"the new module is imported as `{self._module_alias}`")
            elif isinstance(site.stmt, cst.ImportFrom):
                if clashes(self.new_last, taken):
                    self._kept.add(site)
                    self._clash(site, self.new_last, f"the import keeps the local name `{site.local}`")
            else:
                target = self.new + site.bound[len(self.old) :]
                head = target.split(".", 1)[0]
                if head != site.local.split(".", 1)[0] and clashes(head, taken):
                    self._aliased[site] = fresh_name(target.replace(".", "_"), taken)
                    self._clash(site, head, f"it is imported as `{self._aliased[site]}`")

    def _bound_names(self) -> set[str]:
        """Every name this rewrite may bind: the new name, the new heads, the fresh aliases."""
        names = {self.new_last, self.new.split(".", 1)[0], *self._aliased.values()}
        return names | ({self._module_alias} if self._module_alias else set())

    def _leave_ambiguous(self, sites: Sequence[ImportSite]) -> list[ImportSite]:
        """Sites with a usage that may also mean another binding keep their local name (`from` imports, as
        an alias) or stay as they are (`import a.b`); the others go on."""
        out = []
        for site in sites:
            unclear = [n for n in self._refs.accesses.get(site, ()) if n in self._refs.ambiguous]
            prefixes = self._refs.prefix_uses.get(site, [])
            if prefixes and site.relation is not Relation.HOLDS:
                self._untouched.add(site)
                self.report(
                    FindingKind.WARNING, prefixes[0], f"move {self.old}",
                    f"`{site.local}` is imported, and part of that name is used on its own here; "
                    "this import is left as it is",
                )
                continue
            if not unclear or site.relation is Relation.HOLDS:
                out.append(site)  # a module holding `old` stays imported while a usage is left
                continue
            if isinstance(site.stmt, cst.ImportFrom):
                self._kept.add(site)
                outcome = f"the import keeps the local name `{site.local}`"
            else:
                self._untouched.add(site)
                outcome = "this import is left as it is"
            self.report(
                FindingKind.WARNING, unclear[0], f"move {self.old}",
                f"`{site.local}` may also refer to another binding here; {outcome}",
            )
        return out

    def _clash(self, site: ImportSite, name: str, outcome: str) -> None:
        self.report(
            FindingKind.WARNING, site.stmt, f"move {self.old}",
            f"name clash: `{name}` is already used in this file (or may come from a star import), so "
            f"binding it for {self.new} could change what a name refers to; {outcome}",
        )

    def _verify(self, tree: cst.Module) -> None:
        # the next rule on this file analyses this very tree: it reuses the analysis
        self.context.scratch[ANALYSED_KEY] = verify_targets(tree, self._inserted)


    def _single_segment_rebind(self, site: ImportSite) -> bool:
        """`import mock` -> `from unittest import mock`: the local name survives, no usage changes."""
        return isinstance(site.stmt, cst.Import) and self.rebinds_single_segment(len(site.stmt.names), site.bound)

    def rebinds_single_segment(self, names: int, bound: str) -> bool:
        """The `import mock` -> `from unittest import mock` case, from what any parser can tell."""
        return (
            names == 1
            and bound == self.old
            and "." not in self.old
            and bool(self.new_module)
            and (self.keep or self.new_last == self.old)
        )

    def _changes_binding(self, site: ImportSite) -> bool:
        """True when some usage of the alias must be rewritten (so scope analysis is needed)."""
        plain = isinstance(site.stmt, cst.Import)
        names = len(site.stmt.names) if plain else 0  # type: ignore[arg-type]
        return self.changes_binding(site.relation, site.module_moves, site.alias.asname is not None, plain,
                                    names, site.bound, site.local)

    def changes_binding(self, rel: Relation, module_moves: bool, has_asname: bool, plain: bool, names: int,
                        bound: str, local: str) -> bool:
        """`_changes_binding` from plain facts, so the stdlib-tree pass decides exactly as this command."""
        if rel is Relation.HOLDS and not module_moves:
            return True
        if module_moves or has_asname:
            return False
        if plain:
            return not self.rebinds_single_segment(names, bound)
        return not (self.keep or self.new_last == local)

    def keeps_name(self, site: ImportSite) -> bool:
        """A `from` import that keeps its old local name as an alias, to avoid a clash or an ambiguity."""
        return site in self._kept

    def alias_of(self, site: ImportSite) -> str | None:
        """The fresh name an `import` is bound to instead of its clashing new head, if any."""
        return self._aliased.get(site)

    def holds_usages(self, site: ImportSite) -> tuple[int, int, bool]:
        """For an import of a module holding `old`: (usages, usages rewritten, other dotted prefixes used)."""
        accesses = self._refs.accesses.get(site, ())
        rewritten = sum(1 for n in accesses if n in self._rewritten)
        return len(accesses), rewritten, bool(self._refs.prefix_uses.get(site))

    def _plan_usages(self, sites: Sequence[ImportSite]) -> None:
        for site in sites:
            if site.relation is Relation.HOLDS:
                continue
            qualified = self.new + site.bound[len(self.old) :]
            if isinstance(site.stmt, cst.Import):
                target = self._aliased.get(site, qualified)
            else:
                target = self.new_last
            for node in self._refs.accesses.get(site, ()):
                if node in self._refs.ambiguous:
                    continue
                self._replace[node] = dotted_node(target)
                self._inserted.append((self._replace[node], qualified))

    def _module_usage(self) -> cst.BaseExpression:
        """What `mod.X`-style usages of `old` become: the new dotted path, or the clash-free alias."""
        if self._module_alias is None:
            node = dotted_node(self.new)
        elif self.import_path != self.new:
            node = dotted_node(f"{self._module_alias}.{self.new_last}")
        else:
            node = cst.Name(self._module_alias)
        self._inserted.append((node, self.new))
        return node

    # -- usages ---------------------------------------------------------------------------------
    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._prune and not isinstance(node, STATEMENT_NODES):
            return False
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return False  # keeps the statement's identity for the import pass
        return super().on_visit(node)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._replace.get(original_node, updated_node)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if original_node in self._replace:
            return self._replace[original_node]
        if self._refs.via and self._refs.denotes_old(original_node) and not self._refs.is_ambiguous(original_node):
            base: cst.BaseExpression = original_node
            while base not in self._refs.via and isinstance(base, cst.Attribute):
                base = base.value
            self._rewritten.add(base)
            return self._module_usage()
        return updated_node

    # -- imports --------------------------------------------------------------------------------
    def _rewrite_statement(
        self, stmt: cst.Import | cst.ImportFrom, sites: list[ImportSite], module_imports: set[str]
    ) -> list[cst.BaseSmallStatement]:
        """The small statements that replace `stmt` (first) and follow it (the split-off imports)."""
        if isinstance(stmt, cst.ImportFrom) and sites[0].module_moves:
            module = self.new + sites[0].bound.rpartition(".")[0][len(self.old) :]
            return [stmt.with_changes(module=dotted_node(module), relative=[])]
        if len(sites) == 1 and self._single_segment_rebind(sites[0]):
            return [self._from_import([self._moved_alias(sites[0].alias, self.old)])]
        by_alias = {id(site.alias): site for site in sites}
        kept: list[cst.ImportAlias] = []
        moved: list[cst.ImportAlias] = []
        needs_module = False
        for alias in stmt.names:  # type: ignore[union-attr]
            site = by_alias.get(id(alias))
            if site is None or site in self._untouched:
                kept.append(alias)
            elif site.relation is Relation.HOLDS:
                usages, rewritten, prefixes = self.holds_usages(site)
                needs_module = needs_module or bool(rewritten)
                if rewritten < usages or not rewritten or prefixes:
                    kept.append(alias)
            elif isinstance(stmt, cst.Import):
                kept.append(self._moved_module_alias(alias, site))
            else:
                moved.append(self._moved_alias(alias, site.local if self.keep or self.keeps_name(site) else None))
        out: list[cst.BaseSmallStatement] = []
        if kept:
            out.append(stmt.with_changes(names=_fix_commas(kept, stmt)))
        if moved:
            out.append(self._from_import(moved))
        module = self.import_path
        if needs_module and self._module_alias is not None:
            out.append(cst.Import(names=[cst.ImportAlias(dotted_node(module), cst.AsName(cst.Name(self._module_alias)))]))
        elif needs_module and module not in module_imports:
            out.append(cst.Import(names=[cst.ImportAlias(dotted_node(module))]))
        return out

    def _moved_alias(self, alias: cst.ImportAlias, keep_as: str | None) -> cst.ImportAlias:
        asname = alias.evaluated_alias or keep_as
        if asname is None or asname == self.new_last:
            return cst.ImportAlias(cst.Name(self.new_last))
        return cst.ImportAlias(cst.Name(self.new_last), asname=cst.AsName(cst.Name(asname)))

    def _moved_module_alias(self, alias: cst.ImportAlias, site: ImportSite) -> cst.ImportAlias:
        target = self.new + site.bound[len(self.old) :]
        fresh = self.alias_of(site)
        if fresh is not None:
            return alias.with_changes(name=dotted_node(target), asname=cst.AsName(cst.Name(fresh)))
        if alias.evaluated_alias == target:
            return alias.with_changes(name=dotted_node(target), asname=None)
        return alias.with_changes(name=dotted_node(target))

    def _from_import(self, aliases: list[cst.ImportAlias]) -> cst.BaseSmallStatement:
        if not self.new_module:
            return cst.Import(names=[a.with_changes(name=dotted_node(self.new)) for a in aliases])
        return cst.ImportFrom(module=dotted_node(self.new_module), names=aliases)


def _fix_commas(aliases: list[cst.ImportAlias], stmt: cst.Import | cst.ImportFrom) -> list[cst.ImportAlias]:
    """A trailing comma is only legal inside parentheses."""
    parenthesized = isinstance(stmt, cst.ImportFrom) and stmt.lpar is not None
    if aliases and not parenthesized and isinstance(aliases[-1].comma, cst.Comma):
        aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return aliases


def verify_targets(tree: cst.Module, inserted: Sequence[tuple[cst.CSTNode, str]]) -> MetadataWrapper:
    """Every usage written into `tree` must resolve there to its new target and nothing else; raises
    CaptureError otherwise (the pipeline then leaves the file alone and reports it). Returns the
    wrapper holding the scope analysis of `tree`, for whatever analyses that tree next."""
    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    for node, expected in inserted:
        scope = scopes.get(node)
        if scope is None:
            continue  # not in this tree any more: a later rule rewrote it and checks its own
        found = {q.name for q in scope.get_qualified_names_for(node)}
        if found != {expected}:
            raise CaptureError(
                f"`{cst.Module([]).code_for_node(node)}` would refer to {', '.join(sorted(found)) or 'nothing'}, "
                f"not {expected}; file left alone"
            )
    return wrapper
