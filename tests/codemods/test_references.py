"""find_references: imports and usages of a migrated name, by qualified name, with lines.

The stdlib fast path must give exactly what libCST's scope analysis gives (`scope_references`): checked on
a table of hard shapes, on every file of the demo sample and the codemod cases, and on generated modules.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.references import find_references, quick_references, scope_references

NAME = "pkg.ee.Engine"
CASES = Path(__file__).parent / "cases"


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


# Shapes where a reading without scopes would go wrong; each must agree with libCST (fast or not).
HARD_SHAPES = [
    "from pkg.ee import Engine\ndef f(Engine):\n    return Engine\nEngine()\n",  # a parameter shadows it
    "from pkg.ee import Engine\nEngine = None\nEngine()\n",  # re-assigned
    "from pkg.ee import Engine\ndel Engine\n",
    "from pkg.ee import Engine\nx = [Engine for Engine in y]\nEngine()\n",  # comprehension target
    "Engine()\nfrom pkg.ee import Engine\nEngine()\n",  # used before its import
    "def f():\n    return Engine\nfrom pkg.ee import Engine\n",  # a function body sees the later import
    "def f():\n    from pkg.ee import Engine\n    return Engine\nEngine()\n",  # function-level import
    "class C:\n    from pkg.ee import Engine\n    x = Engine\n    def m(self):\n        return Engine\n",
    "from pkg.ee import Engine\ndef f():\n    global Engine\n    Engine = 1\n",
    "from pkg.ee import Engine\nx: 'Engine' = 1\ny: list['Engine'] = []\n",  # string annotations count
    "from typing import cast\nfrom pkg.ee import Engine\nz = cast('Engine', w)\n",
    "from typing import cast as c\nfrom pkg.ee import Engine\nz = c('Engine', w)\n",
    "from typing import Optional\nfrom pkg.ee import Engine\nT = Optional['Engine']\n",
    "from pkg.ee import Engine\ndef f() -> 'Engine': pass\n",
    "from pkg.ee import Engine\nx: Annotated[int, f('Engine')] = 1\n",
    "from pkg.ee import Engine\nprint(f'{Engine}')\n",
    "from pkg.ee import Engine\nx = (\n    Engine\n)\nf(\n    Engine,\n)\n",  # a node starts after its own "("
    "import pkg.ee as m\nx = (\n    m\n).Engine\ny = ((\n    m).Engine\n)\nz = (\n    (m.\nEngine))\n",
    "import pkg.ee\npkg.ee.Engine()\npkg.ee.other\npkg.ee.Engine.x[0].y\n",
    "import pkg.ee\nimport pkg.ee.sub\npkg.ee.sub.Engine\npkg.ee.Engine\n",
    "import pkg\npkg.ee.Engine()\n(pkg.ee).Engine\n",
    "from pkg import ee\nee.Engine(ee.Engine)\nx = ee.Engine[0].Engine\n",
    "import pkg.ee as m\nfrom pkg.ee import Engine as m\nm.Engine\nm()\n",  # one name, two bindings
    "try:\n    from pkg.ee import Engine\nexcept ImportError:\n    from new import Engine\nEngine()\n",
    "from pkg.ee import Engine\nclass C(Engine):\n    attr = Engine\n    def m(self, e=Engine) -> Engine:\n"
    "        return [Engine for _ in self]\n",
    "from pkg.ee import Engine\nmatch x:\n    case Engine.A:\n        pass\n    case Engine(Engine=1):\n        pass\n",
    "from pkg.ee import Engine\nlambda e=Engine: Engine\nf(Engine=Engine)\nEngine.Engine.Engine\n",
    "from . import Engine\nfrom pkg.ee import *\nEngine()\n",
    "from pkg.ee import Engine\nEngine.x = 1\ndel Engine.y\nfor Engine.w in y: pass\n(Engine.a, Engine.b) = 1, 2\n",
    "import pkg.ee.Engine\npkg.ee.Engine.run()\n",
    "from pkg.ee import Engine\r\nEngine()\r\n",
    "from pkg.ee import Engine\rEngine()\r",
    # a function's or a comprehension's own binding shadows the import there, and only there
    "from pkg.ee import Engine\ndef f(x):\n    Engine = x\n    return Engine\ndef g():\n    return Engine()\n",
    "from pkg.ee import Engine\ndef f():\n    for Engine in range(3):\n        pass\n    return Engine\nEngine()\n",
    "from pkg.ee import Engine\ndef f(e=Engine):\n    def g(Engine):\n        return Engine\n    return Engine, g\n",
    "from pkg.ee import Engine\nx = [Engine for Engine in Engine.all()]\n",  # the first iterable reads the import
    "from pkg.ee import Engine\ny = {Engine: 1 for Engine in z}\nw = [e for e in Engine]\n",
    "from pkg.ee import Engine\ndef f():\n    class C:\n        Engine = 1\n    return Engine\n",
    "from pkg.ee import Engine\ndef f():\n    return [(Engine := 1) for _ in range(2)]\nEngine()\n",
    "from pkg.ee import Engine\ndef f():\n    try:\n        pass\n    except E as Engine:\n        pass\n    return Engine\n",
    "from pkg.ee import Engine\nprint(f\"\"\"{\nEngine}\"\"\")\nprint(f'{Engine.x}')\n",
    "from pkg.ee import Engine\nx = d['Engine'], d['an Engine'], d['Engine.x']\n",
]


@pytest.mark.parametrize("source", HARD_SHAPES)
def test_hard_shapes_agree_with_scope_analysis(source: str) -> None:
    for names in ([NAME], [NAME, "pkg.ee"], ["pkg"]):
        assert find_references("t.py", source, names) == scope_references("t.py", source, names)


def test_the_fast_path_reads_shadowing_functions_and_comprehensions_itself() -> None:
    local = "from pkg.ee import Engine\ndef f(Engine):\n    return Engine\nx = [Engine for Engine in y]\nEngine()\n"
    assert sorted(quick_references(local, [NAME]) or []) == [(1, NAME), (5, NAME)]


def test_the_fast_path_decides_the_plain_shapes_itself() -> None:
    plain = "import pkg.ee as m\nfrom pkg.ee import Engine, other\n\ndef test():\n    assert m.Engine is Engine\n"
    assert sorted(quick_references(plain, [NAME]) or []) == [(2, NAME), (5, NAME), (5, NAME)]
    assert quick_references("x: 'Engine'\nfrom pkg.ee import Engine\n", [NAME]) is None


def _demo_and_case_files(tmp: Path) -> list[tuple[Path, tuple[str, ...]]]:
    from bot.campaign.load import load_campaign
    from bot.demo.sample import CAMPAIGN_FILE, generate_sample_repo

    sample = generate_sample_repo(tmp / "sample")
    names = load_campaign(CAMPAIGN_FILE).migrated_names
    files = [(p, names) for p in sorted(sample.root.rglob("*.py"))]
    case_names = (*names, "django.utils.functional.cached_property")
    return files + [(p, case_names) for p in sorted(CASES.rglob("*.py"))]


def test_demo_sample_and_cases_agree_and_mostly_take_the_fast_path(tmp_path: Path) -> None:
    fallbacks = []
    for path, names in _demo_and_case_files(tmp_path):
        source = path.read_text(encoding="utf-8")
        assert find_references(path.name, source, names) == scope_references(path.name, source, names), path
        if quick_references(source, names) is None:
            fallbacks.append(path.name)
    # the planted syntax error, and the case with a string annotation, need libCST; nothing else does
    assert len(fallbacks) <= 2, fallbacks


# --- generated modules ------------------------------------------------------------------------------------

_IMPORTS = [
    "from pkg.ee import Engine", "from pkg.ee import Engine as E", "from pkg.ee import Engine, other",
    "import pkg.ee", "import pkg.ee as m", "import pkg", "from pkg import ee", "from pkg.ee import other",
    "from new import Engine", "import pkg.ee.sub", "from pkg.ee import *", "from . import Engine",
    "from pkg.ee import Engine as m", "import pkg.ee as Engine",
]
_USES = [
    "Engine()", "E.run(Engine)", "m.Engine()", "pkg.ee.Engine(x)", "pkg.ee.Engine.x", "ee.Engine(1)",
    "x = (\n    Engine\n)", "x = (\n    m\n).Engine", "f(\n    m.Engine,\n)", "print(f'{Engine}')", "y: 'Engine' = 1", "Engine = None",
    "del Engine", "for Engine in []: pass", "z = [Engine for Engine in w]", "z = [Engine for _ in w]",
    "g = lambda Engine: Engine", "pkg.ee.sub.Engine", "(pkg).ee.Engine", "ee.Engine[0].Engine", "m[0].Engine",
    "v = cast('Engine', w)", "T = Optional['Engine']", "def r() -> 'Engine': pass", "u: list['E'] = []", "'Engine'  # Engine", "x = E.Engine.m.Engine",
    "with f() as Engine: pass", "Engine.x = 1", "del m.Engine", "Engine += 1", "n = (E := 1)", "print(m.Engine, ee, pkg)",
]
_WRAPPERS = [
    "def f(a, b=Engine) -> E:", "def g(Engine):", "class C(E):", "if TYPE_CHECKING:", "try:", "async def h():",
]

_lines = st.sampled_from(_IMPORTS + _USES)
_blocks = st.recursive(
    st.lists(_lines, min_size=1, max_size=4),
    lambda inner: st.lists(st.one_of(_lines, st.tuples(st.sampled_from(_WRAPPERS), inner)), min_size=1, max_size=4),
    max_leaves=12,
)


def _render(block: list[object], indent: str = "") -> str:
    out = []
    for item in block:
        if isinstance(item, tuple):
            header, body = item
            out.append(f"{indent}{header}\n{_render(body, indent + '    ')}")
            if header == "try:":
                out.append(f"{indent}except ImportError:\n{indent}    pass\n")
        else:
            out.append(textwrap.indent(f"{item}\n", indent))
    return "".join(out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=_blocks, names=st.sampled_from([(NAME,), (NAME, "pkg.ee"), ("pkg.ee",), ("pkg",), (NAME, "new.Engine")]))
def test_generated_modules_agree_with_scope_analysis(block: list[object], names: tuple[str, ...]) -> None:
    source = _render(block)
    assert find_references("g.py", source, names) == scope_references("g.py", source, names), source
