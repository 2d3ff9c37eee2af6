"""find_references: imports and usages of a migrated name, by qualified name, with lines."""

from __future__ import annotations

import pytest

from bot.engine.references import find_references

NAME = "pkg.ee.Engine"


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("from pkg.ee import Engine\nEngine()\n", [1, 2]),
        ("from pkg.ee import Engine as E\nx = 1\nE()\n", [1, 3]),
        ("import pkg.ee as m\nm.Engine()\nm.other()\n", [2]),
        ("import pkg.ee\n'pkg.ee.Engine'  # Engine\n", []),
        ("from new import Engine\nEngine()\n", []),
        ("def f(:\n", []),
    ],
)
def test_counts_references(source: str, lines: list[int]) -> None:
    assert [f.line for f in find_references("t.py", source, [NAME])] == lines
