"""RenameMethodCommand: `Class.old` and `obj.old` (obj built by `Class(...)`) become `.new`."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider

from bot.engine.codemods.bindings import References, import_sites, resolve_references, split_path
from bot.engine.codemods.command import MigrationCommand


class RenameMethodCommand(MigrationCommand):
    """Renames a method at the places that provably use the class: through the class's qualified name,
    or through a name assigned from a call of the class. Anything else (a parameter, an attribute, a
    value from a factory) is left alone rather than guessed at.
    """

    DESCRIPTION = "Rename a method where the receiver is provably the class or one of its instances."

    def __init__(self, context: object, old: str, new: str) -> None:
        super().__init__(context)  # type: ignore[arg-type]
        self.class_path, self.method = split_path(old)
        self.new = new
        self._refs = References(self.class_path)
        self._instances: set[cst.CSTNode] = set()
        self._changed = False

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        sites = import_sites(tree, self.class_path, self.package)
        if not sites:
            return tree
        self._refs = resolve_references(self.wrapper, sites, self.class_path)
        if not self._refs.exact and not self._refs.via:
            return tree
        updated = tree.visit(self)
        return updated if self._changed else tree

    def visit_Assign(self, node: cst.Assign) -> None:
        if not (isinstance(node.value, cst.Call) and self._refs.denotes_old(node.value.func)):
            return
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        target = node.targets[0].target
        scope = self.wrapper.resolve(ScopeProvider).get(node)
        if scope is None:
            return
        for assignment in scope.assignments[target.value]:
            if getattr(assignment, "node", None) is target:
                self._instances.update(access.node for access in assignment.references)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        if original_node.attr.value != self.method:
            return updated_node
        receiver = original_node.value
        if receiver in self._instances or (self._refs.denotes_old(receiver) and not self._refs.is_ambiguous(receiver)):
            self._changed = True
            return updated_node.with_changes(attr=cst.Name(self.new))
        return updated_node
