"""libCST codemods for the campaign rules and the per-file transform that runs them."""

from __future__ import annotations

from bot.engine.codemods.call import RemapCallCommand
from bot.engine.codemods.move import MoveNameCommand
from bot.engine.codemods.pipeline import needles, rule_label, transform_source
from bot.engine.codemods.rename import RenameMethodCommand
from bot.engine.codemods.user import CodemodLoadError, load_codemod

__all__ = [
    "CodemodLoadError",
    "MoveNameCommand",
    "RemapCallCommand",
    "RenameMethodCommand",
    "load_codemod",
    "needles",
    "rule_label",
    "transform_source",
]
