"""RemapCallCommand: calls of an old callable become a new expression built from their bound arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.metadata import BuiltinScope, GlobalScope, ScopeProvider

from bot.campaign.spec import Param
from bot.engine.codemods.bindings import References, import_sites, resolve_references
from bot.engine.codemods.command import MigrationCommand
from bot.engine.results import FindingKind


class Unbindable(Exception):
    """The call's arguments cannot be matched to the old signature without guessing."""


def bind_arguments(
    args: Sequence[cst.Arg], params: Sequence[Param], defaults: Mapping[str, cst.BaseExpression]
) -> dict[str, cst.BaseExpression]:
    """Parameter name -> argument expression, as Python would bind them; defaults fill the gaps."""
    positional = [p.name for p in params if not p.keyword_only]
    names = {p.name for p in params}
    bound: dict[str, cst.BaseExpression] = {}
    for index, arg in enumerate(args):
        if arg.star:
            raise Unbindable(f"`{arg.star}` argument")
        if arg.keyword is None:
            if index >= len(positional):
                raise Unbindable("too many positional arguments")
            bound[positional[index]] = arg.value
            continue
        name = arg.keyword.value
        if name not in names or name in bound:
            raise Unbindable(f"unexpected keyword argument `{name}`")
        bound[name] = arg.value
    for param in params:
        if param.name not in bound:
            if param.name not in defaults:
                raise Unbindable(f"missing argument `{param.name}`")
            bound[param.name] = defaults[param.name]
    return bound


def template_head(template: cst.BaseExpression) -> cst.Name:
    """The leading name of the template: the one that stands for the migrated callable."""
    node = template
    while isinstance(node, (cst.Call, cst.Attribute, cst.Subscript)):
        node = node.func if isinstance(node, cst.Call) else node.value
    if not isinstance(node, cst.Name):
        raise ValueError("a call template must start with a name")
    return node


class _Fill(cst.CSTTransformer):
    """Puts the call's own callee expression and bound arguments into a copy of the template."""

    def __init__(
        self, head: cst.Name, call: cst.Call, bound: dict[str, cst.BaseExpression], params: Sequence[Param]
    ) -> None:
        super().__init__()
        self.head, self.callee, self.bound = head, call.func, bound
        #: the call's own Arg per parameter, so its comma keeps the comment and line break after it
        self.args = _args_by_param(call.args, params)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node is self.head:
            return self.callee.deep_clone()
        if original_node.value in self.bound:
            return self.bound[original_node.value].deep_clone()
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        updated_node = updated_node.with_changes(keyword=original_node.keyword)
        value = original_node.value
        own = self.args.get(value.value) if isinstance(value, cst.Name) else None
        if own is not None and isinstance(own.comma, cst.Comma) and isinstance(original_node.comma, cst.Comma):
            updated_node = updated_node.with_changes(comma=own.comma.deep_clone())
        return updated_node


def _args_by_param(args: Sequence[cst.Arg], params: Sequence[Param]) -> dict[str, cst.Arg]:
    positional = [p.name for p in params if not p.keyword_only]
    return {
        arg.keyword.value if arg.keyword is not None else positional[index]: arg
        for index, arg in enumerate(args)
    }


def template_free_names(template: cst.BaseExpression, head: cst.Name, params: Sequence[Param]) -> tuple[str, ...]:
    """Names the template reads besides its head and the parameters (e.g. a helper or a constant)."""
    class _Reads(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.names: list[str] = []

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if node is not head and node.value not in skip:
                self.names.append(node.value)

    skip = {p.name for p in params} | {"None", "True", "False"}
    reads = _Reads()
    template.visit(reads)
    return tuple(dict.fromkeys(reads.names))


class RemapCallCommand(MigrationCommand):
    """Rewrites `Old(a, b)` into the template, e.g. `Old.from_registry(a, b, None)`.

    Calls are matched by what the callee refers to (scope analysis of the imports), so code already
    written against the new API is never touched. The template's leading name becomes the very
    expression the call used (`Old`, `E`, `mod.Old`), which the move rule then renames as the file binds
    it. A call that cannot be bound safely keeps its arguments and is reported with its line.
    """

    DESCRIPTION = "Rewrite calls of an old callable into a new expression, binding arguments to the old signature."

    def __init__(self, context: object, old: str, params: Sequence[Param], template: str) -> None:
        super().__init__(context)  # type: ignore[arg-type]
        self.old = old
        self.params = tuple(params)
        self.template = cst.parse_expression(template)
        self.head = template_head(self.template)
        self.defaults = {p.name: cst.parse_expression(p.default) for p in self.params if p.default is not None}
        self._refs = References(old)
        self._changed = False
        #: names the template reads that are neither its head nor a parameter: they must not be captured
        self.free = template_free_names(self.template, self.head, self.params)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        sites = import_sites(tree, self.old, self.package)
        if not sites:
            return tree
        self._refs = resolve_references(self.wrapper, sites, self.old)
        if not self._refs.exact and not self._refs.via:
            return tree
        updated = tree.visit(self)
        return updated if self._changed else tree

    def _captured(self, call: cst.Call) -> str | None:
        """The first free template name that a function, class or comprehension scope around the call
        binds (module-level names and builtins are what the template means)."""
        if not self.free:
            return None
        scope = self.wrapper.resolve(ScopeProvider).get(call)
        if scope is None:
            return None
        for name in self.free:
            if any(not isinstance(a.scope, (GlobalScope, BuiltinScope)) for a in scope[name]):
                return name
        return None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not self._refs.denotes_old(original_node.func):
            return updated_node
        if self._refs.is_ambiguous(original_node.func):
            self.report(
                FindingKind.UNMAPPABLE_CALL, original_node, f"call {self.old}",
                f"call of {self.old} not rewritten: the callee may also refer to another binding here; "
                "left for a human",
            )
            return updated_node
        captured = self._captured(original_node)
        if captured:
            self.report(
                FindingKind.UNMAPPABLE_CALL, original_node, f"call {self.old}",
                f"call of {self.old} not rewritten: the template's `{captured}` would refer to a local "
                "name here; left for a human",
            )
            return updated_node
        try:
            bound = bind_arguments(updated_node.args, self.params, self.defaults)
        except Unbindable as reason:
            self.report(
                FindingKind.UNMAPPABLE_CALL, original_node, f"call {self.old}",
                f"call of {self.old} cannot be mapped ({reason}); left for a human",
            )
            return updated_node
        self._changed = True
        filled = self.template.visit(_Fill(self.head, updated_node, bound, self.params))
        if isinstance(filled, cst.Call):
            filled = _keep_layout(filled.with_changes(whitespace_before_args=updated_node.whitespace_before_args),
                                  updated_node)
        return filled.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)


def _keep_layout(filled: cst.Call, call: cst.Call) -> cst.Call:
    """A call written one argument per line stays so: arguments the template adds go on lines of their
    own (same indent, no comment copied), and a trailing comma stays a trailing comma."""
    breaks = [
        arg.comma.whitespace_after for arg in call.args[:-1]
        if isinstance(arg.comma, cst.Comma) and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace)
    ]
    opening = call.whitespace_before_args
    line_break = opening if isinstance(opening, cst.ParenthesizedWhitespace) else next(iter(breaks), None)
    if not filled.args or not call.args:
        return filled
    if line_break is None:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    else:
        separator = cst.Comma(whitespace_after=line_break.with_changes(first_line=cst.TrailingWhitespace(),
                                                                       empty_lines=[]))
    trailing = call.args[-1].comma
    args = list(filled.args)
    for index, arg in enumerate(args[:-1]):
        comma = arg.comma
        own_line = isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)
        was_trailing = isinstance(trailing, cst.Comma) and isinstance(comma, cst.Comma) and comma.deep_equals(trailing)
        if was_trailing or (line_break is not None and not own_line):
            args[index] = arg.with_changes(comma=separator)
    if isinstance(trailing, cst.Comma):
        args[-1] = args[-1].with_changes(comma=trailing.deep_clone())
    return filled.with_changes(args=args)
