"""The import rules as tests: each forbidden arrow checked on what an import really loads, and no cycles.

Each arrow runs in a fresh interpreter that imports its modules one by one and records what each one
brought into ``sys.modules``, so a leak is named together with the import that caused it. The cycle
test reads the source (every import statement, lazy and TYPE_CHECKING ones included).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "workers")

_PROBE = """
import json, sys
loaded = {}
for name in json.loads(sys.argv[1]):
    before = set(sys.modules)
    __import__(name)
    for new in set(sys.modules) - before:
        loaded.setdefault(new, name)
print(json.dumps(loaded))
"""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_under(*dotted: str) -> list[str]:
    """`dotted` names, a package standing for itself and every module in it."""
    found: list[str] = []
    for name in dotted:
        path = ROOT.joinpath(*name.split("."))
        if path.is_dir():
            found += sorted(module_name(p) for p in path.rglob("*.py"))
        else:
            found.append(name)
    return found


def loaded_by(modules: list[str]) -> dict[str, str]:
    """Every module a fresh interpreter loads importing `modules` in order -> the one that first loaded it."""
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(modules)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def leaks(loaded: dict[str, str], forbidden: tuple[str, ...]) -> dict[str, str]:
    return {m: by for m, by in sorted(loaded.items()) if any(m == f or m.startswith(f + ".") for f in forbidden)}


@dataclass(frozen=True)
class Arrow:
    """`sources` must not load any of `forbidden` (a module or package name)."""

    name: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...]


#: bot.commands is pure parsing (text -> verbs) shared by the comment handler and reconcile's lost-command search
WEB = ("flask", "werkzeug", "bot.app", "bot.webhooks", "bot.routes", "bot.handlers", "bot.enqueue",
       "bot.metrics", "bot.services")
WORKERS_BUT_CONTRACT = ("workers.celery_app", "workers.tasks", "workers.jobs", "workers.locks", "workers.change")

ARROWS = [
    Arrow("engine loads no git, forge, web, queue or Redis", ("bot.engine",),
          ("bot.gitops", "bot.forge", "github", "flask", "werkzeug", "celery", "kombu", "redis", "requests",
           "bot.testrun", "bot.app", "bot.cli", "workers")),
    Arrow("handlers and routes load no engine and no forge", ("bot.handlers", "bot.routes", "bot.commands"),
          ("bot.engine", "bot.forge", "bot.gitops", "github", "libcst", *WORKERS_BUT_CONTRACT)),
    Arrow("workers load no web module", ("workers",), WEB),
    Arrow("the web side loads of workers only the queue contract and the Celery app",
          ("bot.app", "bot.webhooks", "bot.routes", "bot.handlers", "bot.enqueue", "bot.web"),
          ("workers.tasks", "workers.jobs", "workers.locks", "workers.change", "workers.known_repos")),
    Arrow("rollout decisions load no git", ("bot.rollout", "bot.forge.base"),
          ("bot.gitops", "bot.forge.local", "bot.forge.github", "github")),
]


@pytest.mark.parametrize("arrow", ARROWS, ids=[a.name for a in ARROWS])
def test_forbidden_arrow(arrow: Arrow) -> None:
    sources = modules_under(*arrow.sources)
    loaded = loaded_by(sources)
    assert set(sources) <= set(loaded) | set(sys.builtin_module_names)  # every source really was imported
    assert leaks(loaded, arrow.forbidden) == {}


def test_the_probe_names_the_import_that_leaked() -> None:
    loaded = loaded_by(["bot.signature", "bot.app"])
    assert leaks(loaded, ("flask",))["flask"] == "bot.app"
    assert "flask" not in {m for m, by in loaded.items() if by == "bot.signature"}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ours that `path` imports anywhere in its text."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    ours = set()
    for target in found:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            ours.add(target)
    return ours


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    return {name: _imports(name, path, set(paths)) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_workers_never_name_the_web_side() -> None:
    named = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "workers").rglob("*.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if any(web in line for web in ("bot.handlers", "bot.webhooks"))]
    assert named == []


def test_the_web_side_names_no_worker_module_but_the_contract_and_the_celery_app() -> None:
    """Lazy imports too (the arrow above sees only what importing a module loads)."""
    web = [ROOT / "bot" / name for name in ("app.py", "webhooks.py", "routes.py", "enqueue.py", "services.py")]
    web += [*(ROOT / "bot" / "handlers").rglob("*.py"), *(ROOT / "bot" / "web").rglob("*.py")]
    allowed = ("workers.contract", "workers.celery_app")
    named = [f"{p.relative_to(ROOT)}:{n}" for p in web
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             for word in line.replace("(", " ").replace(",", " ").split()
             if word.startswith("workers.") and not word.startswith(allowed)]
    assert named == []
