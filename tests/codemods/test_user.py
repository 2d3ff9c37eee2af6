"""load_codemod: the user's root first on sys.path, and nothing of it left behind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from libcst.codemod import Codemod

from bot.engine.codemods import CodemodLoadError, load_codemod


def _write(root: Path, body: str) -> str:
    (root / "mycodemods.py").write_text(body)
    return str(root)


def test_loads_and_restores_path(tmp_path: Path) -> None:
    root = _write(tmp_path, "from libcst.codemod import VisitorBasedCodemodCommand\n"
                            "class Noop(VisitorBasedCodemodCommand):\n    pass\n")
    before = list(sys.path)
    loaded = load_codemod("mycodemods:Noop", root)
    assert issubclass(loaded, Codemod)
    assert sys.path == before and "mycodemods" not in sys.modules


def test_import_error_is_explained(tmp_path: Path) -> None:
    root = _write(tmp_path, "raise ImportError('needs numpy')\n")
    with pytest.raises(CodemodLoadError, match="needs numpy"):
        load_codemod("mycodemods:Noop", root)
