"""A generated repository of thirty modules, each migrated by the `engine-move` campaign, with a real pytest suite.

`old_pkg.engines.Engine` moves to `new_pkg.engines.Engine`, whose API is stricter: `connect`'s timeout is
keyword-only, and `register` refuses a name registered twice. Planted breaks: a module calling
`connect(url, 5)` breaks its own test once migrated (a lone culprit); two modules registering the same
name break `tests/test_pair.py` only when both are migrated; `tests/test_flaky.py` fails on one given run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot import gitops
from tests.campaigns import SYSTEM_SETUP

#: the suite's command; its venv sees this interpreter's packages, so their pytest plugins stay off (speed)
TESTS = "python -m pytest -q -p no:cacheprovider -p no:hypothesispytest -p no:benchmark {files}"
MODULES = 30
CATEGORY = "modules"

OLD_ENGINE = '''class Engine:
    names: list[str] = []

    def __init__(self, url, timeout=10):
        self.url, self.timeout = url, timeout

    @classmethod
    def connect(cls, url, timeout=10):
        return cls(url, timeout)

    @classmethod
    def register(cls, name):
        cls.names.append(name)
'''
NEW_ENGINE = '''class Engine:
    names: set[str] = set()

    def __init__(self, url, *, timeout=10):
        self.url, self.timeout = url, timeout

    @classmethod
    def connect(cls, url, *, timeout=10):
        return cls(url, timeout=timeout)

    @classmethod
    def register(cls, name):
        if name in cls.names:
            raise ValueError(f"{name!r} is registered already")
        cls.names.add(name)
'''
FLAKY_TEST = '''from pathlib import Path

COUNTER = Path({counter!r})


def test_sometimes():
    runs = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(runs))
    assert runs not in {fail_on!r}, f"flaked on run {{runs}}"
'''


@dataclass(frozen=True)
class Planted:
    lone: tuple[int, ...] = ()  #: modules whose migration breaks their own test
    pair: tuple[int, int] | None = None  #: modules that break tests/test_pair.py only together
    flaky_counter: Path | None = None  #: where tests/test_flaky.py counts its runs
    flaky_fails_on: tuple[int, ...] = (2,)  #: the runs on which it fails (1 = the baseline, 2 = after)


def module_path(i: int) -> str:
    return f"pkg/mod_{i:02d}.py"


def campaign_text(*, rollback: str = "files", max_runs: int = 40) -> str:
    return "\n".join([
        "campaign: engine-move",
        "title: Move the engine",
        "rules:",
        "  - move: old_pkg.engines.Engine",
        "    to: new_pkg.engines.Engine",
        "categories:",
        f'  - {{name: {CATEGORY}, priority: 1, paths: ["pkg/**/*.py"]}}',
        "validate:",
        f'  tests: "{TESTS}"',
        '  select: "tests/test_*.py"',
        "  timeout: 120",
        f"  rollback: {rollback}",
        f"  max_runs: {max_runs}",
        "  setup:",
        *(f"    - {json.dumps(command)}" for command in SYSTEM_SETUP),
    ]) + "\n"


def _module(i: int, planted: Planted) -> str:
    timeout = "5" if i in planted.lone else "timeout=5"  # a positional timeout breaks under the new API
    call = f'Engine.connect("db://{i}", {timeout})'
    lines = ["from old_pkg.engines import Engine", "", "", "def run():", f"    return {call}", ""]
    if planted.pair and i in planted.pair:
        lines += ["", "def register():", '    Engine.register("report")', ""]
    return "\n".join(lines)


def _test(i: int) -> str:
    return (f"from pkg import mod_{i:02d}\n\n\ndef test_run():\n"
            f"    assert mod_{i:02d}.run().url == \"db://{i}\"\n")


def generate(root: Path, planted: Planted, *, rollback: str = "files", max_runs: int = 40) -> str:
    """Writes and commits the repository at `root`; returns the commit."""
    files = {
        "old_pkg/__init__.py": "", "old_pkg/engines.py": OLD_ENGINE,
        "new_pkg/__init__.py": "", "new_pkg/engines.py": NEW_ENGINE,
        "pkg/__init__.py": "", "tests/__init__.py": "",
        ".github/migrations/engine-move.yml": campaign_text(rollback=rollback, max_runs=max_runs),
    }
    for i in range(MODULES):
        files[module_path(i)] = _module(i, planted)
        files[f"tests/test_mod_{i:02d}.py"] = _test(i)
    # every run (the search's too) leaves a file in the checkout: it must never reach the bot's commit
    files["conftest.py"] = 'open("scratch.log", "w").write("left by the tests")\n'
    if planted.pair:
        a, b = planted.pair
        files["tests/test_pair.py"] = (f"from pkg import mod_{a:02d}, mod_{b:02d}\n\n\ndef test_both_register():\n"
                                       f"    mod_{a:02d}.register()\n    mod_{b:02d}.register()\n")
    if planted.flaky_counter is not None:
        files["tests/test_flaky.py"] = FLAKY_TEST.format(counter=str(planted.flaky_counter),
                                                         fail_on=set(planted.flaky_fails_on))
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return gitops.init_repository(root)
