"""Campaign texts the engine tests share: one `move` rule, categories and validation chosen per test."""

from __future__ import annotations

import shlex
import sys

#: the validate.tests command for the current interpreter, without a cache folder in the repo under test
PYTEST = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider {{files}}"


def engine_move(*categories: tuple[str, int, str], tests: str | None = None, timeout: int = 120) -> str:
    """`old_pkg.engines.Engine` -> `new_pkg.engines.Engine`; categories as (name, priority, glob)."""
    lines = [
        "campaign: engine-move",
        "title: Move the engine",
        "rules:",
        "  - move: old_pkg.engines.Engine",
        "    to: new_pkg.engines.Engine",
        "categories:",
        *(f'  - {{name: {name}, priority: {priority}, paths: ["{glob}"]}}' for name, priority, glob in categories),
    ]
    if tests is not None:
        lines += ["validate:", f'  tests: "{tests}"', "  baseline: true", f"  timeout: {timeout}"]
    return "\n".join(lines) + "\n"
