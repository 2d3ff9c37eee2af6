"""Campaign texts the engine tests share: one `move` rule, categories and validation chosen per test."""

from __future__ import annotations

import json
import shlex
import sys
import sysconfig

#: the validate.tests command for the current interpreter, without a cache folder in the repo under test
PYTEST = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider {{files}}"
#: the same through PATH: the repository's venv first (what a campaign would write)
VENV_PYTEST = "python -m pytest -q -p no:cacheprovider {files}"
_PTH = "import pathlib,site,sys;pathlib.Path(site.getsitepackages()[0]).joinpath(sys.argv[1]).write_text(sys.argv[2])"
#: validate.setup for tests: a venv without network that sees this interpreter's packages (pytest among them)
SYSTEM_SETUP = (
    f"{sys.executable} -m venv --without-pip {{venv}}",
    f"{{venv}}/bin/python -c \"{_PTH}\" outer.pth {sysconfig.get_paths()['purelib']}",
)


def engine_move(*categories: tuple[str, int, str], tests: str | None = None, timeout: int = 120,
                setup: tuple[str, ...] | None = None, select: str | None = None) -> str:
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
        if setup is not None:
            lines += ["  setup:", *(f"    - {json.dumps(command)}" for command in setup)]
        if select is not None:
            lines.append(f'  select: "{select}"')
    return "\n".join(lines) + "\n"
