"""Replacing one import statement with others where it stands, on its own line or in a suite."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.helpers import get_full_name_for_node

from bot.engine.codemods.bindings import STATEMENT_NODES, ImportSite

Rewrite = Callable[[cst.Import | cst.ImportFrom, list[ImportSite], set[str]], list[cst.BaseSmallStatement]]


def top_level_imports(module: cst.Module) -> set[str]:
    """Modules the file imports plainly (`import x.y`, no `as`) at module level."""
    found: set[str] = set()
    for line in module.body:
        if isinstance(line, cst.SimpleStatementLine):
            for small in line.body:
                if isinstance(small, cst.Import):
                    found.update(
                        get_full_name_for_node(a.name) or "" for a in small.names if a.asname is None
                    )
    return found


class ImportStatementRewriter(cst.CSTTransformer):
    """Visits statements only (never expressions) and lets `rewrite` replace the listed imports.

    The statements are matched by identity: they must be the very nodes of the tree being visited.
    The first returned statement takes the original's place (and its line's comments); the others
    follow it on lines of their own, so an import inside `if TYPE_CHECKING:` or `try:` stays there.
    """

    def __init__(self, rewrite: Rewrite, sites: dict[int, list[ImportSite]]) -> None:
        super().__init__()
        self._rewrite = rewrite
        self._sites = sites
        self._module_imports: set[str] = set()

    def visit_Module(self, node: cst.Module) -> bool:
        self._module_imports = top_level_imports(node)
        return True

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return False
        return isinstance(node, STATEMENT_NODES) and super().on_visit(node)

    def _expand(self, body: tuple[cst.BaseSmallStatement, ...] | list) -> list[cst.BaseSmallStatement] | None:
        out: list[cst.BaseSmallStatement] = []
        touched = False
        for small in body:
            sites = self._sites.get(id(small))
            if sites is None:
                out.append(small)
                continue
            touched = True
            out.extend(self._rewrite(small, sites, self._module_imports))
        return out if touched else None

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        body = self._expand(updated_node.body)
        if body is None:
            return updated_node
        if not body:
            return cst.RemoveFromParent()
        if len(updated_node.body) == 1 and len(body) > 1:
            first = updated_node.with_changes(body=[body[0]])
            return cst.FlattenSentinel([first, *(cst.SimpleStatementLine(body=[s]) for s in body[1:])])
        return updated_node.with_changes(body=body)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        body = self._expand(updated_node.body)
        if body is None:
            return updated_node
        return updated_node.with_changes(body=body or [cst.Pass()])


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


def _imports_only(suite: cst.BaseSuite) -> tuple[str, ...] | None:
    """The import statements of an indented block, as code; None when it holds anything else."""
    if not isinstance(suite, cst.IndentedBlock):
        return None
    out: list[str] = []
    for line in suite.body:
        if not isinstance(line, cst.SimpleStatementLine):
            return None
        for small in line.body:
            if not isinstance(small, (cst.Import, cst.ImportFrom)):
                return None
            out.append(_EMPTY.code_for_node(small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)))
    return tuple(out)


_EMPTY = cst.Module([])


def _catches_import_error(handler: cst.ExceptHandler) -> bool:
    kind = handler.type
    names = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return handler.name is None and bool(names) and all(
        isinstance(n, cst.Name) and n.value in _IMPORT_ERRORS for n in names
    )


def is_dead_fallback(node: cst.Try) -> bool:
    """`try: import x / except ImportError: import x`: both branches import the very same thing."""
    if node.orelse is not None or node.finalbody is not None or not node.handlers:
        return False
    body = _imports_only(node.body)
    return body is not None and all(
        _catches_import_error(h) and _imports_only(h.body) == body for h in node.handlers
    )


class DeadFallbacks(cst.CSTTransformer):
    """Replaces every dead `try/except ImportError` import fallback by its one import, except those whose
    code is in `already` (dead before the change: not ours to touch). Comments above the `try` stay."""

    def __init__(self, already: set[str]) -> None:
        super().__init__()
        self.already = already

    def on_visit(self, node: cst.CSTNode) -> bool:
        return isinstance(node, STATEMENT_NODES) and super().on_visit(node)

    def leave_Try(
        self, original_node: cst.Try, updated_node: cst.Try
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not is_dead_fallback(updated_node) or _EMPTY.code_for_node(updated_node) in self.already:
            return updated_node
        assert isinstance(updated_node.body, cst.IndentedBlock)
        lines = list(updated_node.body.body)
        lines[0] = lines[0].with_changes(leading_lines=[*updated_node.leading_lines, *lines[0].leading_lines])
        return cst.FlattenSentinel(lines)


class _DeadFallbackSurvey(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        return isinstance(node, STATEMENT_NODES) and super().on_visit(node)

    def visit_Try(self, node: cst.Try) -> None:
        if is_dead_fallback(node):
            self.found.add(_EMPTY.code_for_node(node))


def dead_fallbacks(tree: cst.Module) -> set[str]:
    """The code of every dead import fallback already in `tree`."""
    survey = _DeadFallbackSurvey()
    tree.visit(survey)
    return survey.found
