"""What every migration command shares: one metadata wrapper per tree, findings with lines."""

from __future__ import annotations

from dataclasses import dataclass, replace

import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand
from libcst.metadata import MetadataWrapper, PositionProvider

from bot.engine.codemods.bindings import package_of
from bot.engine.results import FindingKind

#: context.scratch key under which commands leave structured findings for the pipeline
FINDINGS_KEY = "migration_bot.findings"


@dataclass(frozen=True)
class Note:
    """A finding before it knows its file: what the pipeline turns into a `Finding`."""

    kind: FindingKind
    line: int
    rule: str
    message: str


class MigrationCommand(VisitorBasedCodemodCommand):
    """A codemod that runs on the tree it is given without copying it.

    libCST's `Codemod.transform_module` deep-copies the tree into a new `MetadataWrapper` and its
    `VisitorBasedCodemodCommand` re-resolves scope metadata for the import clean-up visitors; on a big
    file that is most of the cost. Our commands edit imports where they stand, resolve metadata lazily
    (only when a rewrite needs it) and reuse the wrapper the caller put in the context when it wraps
    this very tree. A command returns the tree it was given, unchanged and identical, when it has
    nothing to do, so a caller can keep using that tree's resolved metadata.
    """

    def transform_module(self, tree: cst.Module) -> cst.Module:
        wrapper = self.context.wrapper
        if wrapper is None or wrapper.module is not tree:
            wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
        self.context = replace(self.context, wrapper=wrapper)
        return self.transform_module_impl(tree)

    @property
    def package(self) -> str | None:
        """The package of the file being changed (from the context's filename), for relative imports."""
        return package_of(self.context.filename)

    @property
    def wrapper(self) -> MetadataWrapper:
        assert self.context.wrapper is not None, "only available inside transform_module"
        return self.context.wrapper

    def line_of(self, node: cst.CSTNode) -> int:
        """1-based line of an original node; positions are computed only the first time one is asked."""
        position = self.wrapper.resolve(PositionProvider).get(node)
        return position.start.line if position is not None else 0

    def report(self, kind: FindingKind, node: cst.CSTNode, rule: str, message: str) -> None:
        """Warn through libCST (so `assertCodemod(expected_warnings=...)` sees it) and keep a Note."""
        line = self.line_of(node)
        self.warn(f"line {line}: {message}")
        self.context.scratch.setdefault(FINDINGS_KEY, []).append(Note(kind, line, rule, message))
