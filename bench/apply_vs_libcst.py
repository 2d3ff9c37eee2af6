"""Benchmark: `migration-bot apply` against libCST's own codemod runner on the Django 5.1.4 sdist.

One run, side by side on fresh copies of the same tree, each tool in its own measuring subprocess:
  ours         migration-bot apply (one category `**/*.py`)
  libcst       python -m libcst.tool codemod rename.RenameCommand on the whole tree
  libcst-grep  the same runner fed only the files grep finds
  grep         grep -rl cached_property (the floor for finding candidates)
  ruff         ruff check --select E9 --no-cache (the floor for parsing everything; ruff 0.17 removed E999,
               but syntax errors are always reported, so every file is still parsed)
then checks that ours and libCST changed the same files the same way.

The same run then does a ten-rule campaign (RULES10) on another fresh copy:
  ours-10      migration-bot apply with the ten rules
  libcst-1of10 libCST's runner for one of the ten rules (its runner takes one invocation per rule; only
               this one is timed, on the files grep finds for it: the other nine would add as much again each)
  grep-10      grep -rlE for the ten needles
and checks every file ours changed with an independent semantic check: libCST's scope analysis of the
file before and after, every name or attribute chain outside the imports resolving to the same qualified
name (old dotted paths mapped to the new), or left alone. The run fails on any disagreement.

    python bench/apply_vs_libcst.py [--quick] [--jobs N]
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
CACHE = HERE / ".cache"
VERSION = "5.1.4"
OLD, NEW = "django.utils.functional.cached_property", "functools.cached_property"
NEEDLE = "cached_property"
QUICK_DIRS = ("django/utils", "django/contrib/auth", "django/db/models")
CAMPAIGN = f"""\
campaign: cached-property
title: Use functools.cached_property
rules:
  - move: {OLD}
    to: {NEW}
categories:
  - {{name: all, priority: 0, paths: ["**/*.py"]}}
"""
#: the ten-rule campaign: common Django imports moved to new homes (one of them renamed)
RULES10 = (
    (OLD, NEW),
    ("django.utils.translation.gettext_lazy", "django.utils.i18n.lazy_gettext"),
    ("django.core.exceptions.ValidationError", "django.core.errors.ValidationError"),
    ("django.core.exceptions.ImproperlyConfigured", "django.core.errors.ImproperlyConfigured"),
    ("django.core.exceptions.FieldDoesNotExist", "django.core.errors.FieldDoesNotExist"),
    ("django.utils.timezone", "django.utils.clock"),
    ("django.conf.settings", "django.config.settings"),
    ("django.utils.deprecation.RemovedInDjango60Warning", "django.utils.deprecations.RemovedInDjango60Warning"),
    ("django.utils.module_loading.import_string", "django.utils.loading.import_string"),
    ("django.db.models.Q", "django.db.models.query_utils.Q"),
)
#: the rule whose libCST run is timed for the ten-rule case (the one grep finds in the most files)
LIBCST_ONE_OF_TEN = ("django.conf.settings", "django.config.settings")
CAMPAIGN10 = "campaign: ten-moves\ntitle: Ten moves\nrules:\n" + "".join(
    f"  - move: {old}\n    to: {new}\n" for old, new in RULES10
) + 'categories:\n  - {name: all, priority: 0, paths: ["**/*.py"]}\n'
# Runs argv as a child and reports wall time and the child's rusage (its own descendants included).
WRAPPER = """
import json, resource, subprocess, sys, time
argv, cwd = json.loads(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
tail = proc.stdout.decode("utf-8", "replace")[-2000:]
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss,
                  "code": proc.returncode, "tail": tail}))
"""


@dataclass(frozen=True)
class Measure:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    code: int
    tail: str


def sdist_tree() -> Path:
    """The unpacked sdist, downloaded with pip once and kept in bench/.cache/."""
    tree = CACHE / f"django-{VERSION}"
    if tree.is_dir():
        return tree
    CACHE.mkdir(exist_ok=True)
    archive = next(CACHE.glob(f"[Dd]jango-{VERSION}.tar.gz"), None)
    if archive is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        f"django=={VERSION}", "-d", str(CACHE)], check=True)
        archive = next(CACHE.glob(f"[Dd]jango-{VERSION}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE / "unpack", filter="data")
    (CACHE / "unpack" / next(p.name for p in (CACHE / "unpack").iterdir())).rename(tree)
    shutil.rmtree(CACHE / "unpack", ignore_errors=True)
    return tree


def fresh_copy(source: Path, dest: Path, quick: bool) -> Path:
    if not quick:
        shutil.copytree(source, dest)
        return dest
    for sub in QUICK_DIRS:
        shutil.copytree(source / sub, dest / sub)
    return dest


def measure(name: str, argv: list[str], cwd: Path) -> Measure:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    out = subprocess.run([sys.executable, "-c", WRAPPER, json.dumps(argv), str(cwd)], env=env,
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    result = Measure(name, data["wall"], data["cpu"], data["rss_kb"] / 1024, data["code"], data["tail"])
    print(f"  {name:<12} {result.wall:8.2f} s wall  exit {result.code}", file=sys.stderr)
    return result


def python_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.py")}


def grep_files(root: Path, needle: str = NEEDLE) -> list[str]:
    out = subprocess.run(["grep", "-rl", "--include=*.py", needle, "."], cwd=root, capture_output=True,
                         text=True)
    return sorted(line.removeprefix("./") for line in out.stdout.splitlines())


def run_all(pristine: Path, work: Path, quick: bool, jobs: int | None,
            whole_tree: bool = True) -> tuple[list[Measure], dict[str, Path]]:
    copies = {name: fresh_copy(pristine, work / name, quick)
              for name in ("ours", "libcst", "libcst-grep", "ours-10", "libcst-1of10")}
    campaign = work / "campaign.yml"
    campaign.write_text(CAMPAIGN)
    jobs_args = ["--jobs", str(jobs)] if jobs else []
    libcst = [sys.executable, "-m", "libcst.tool", "codemod", "rename.RenameCommand", "--old_name", OLD,
              "--new_name", NEW, "--no-format", "--hide-progress", *(["-j", str(jobs)] if jobs else [])]
    grepped = grep_files(copies["libcst-grep"])
    print(f"tree: {len(python_files(pristine if not quick else copies['ours']))} .py files; "
          f"grep finds {len(grepped)}", file=sys.stderr)
    measures = [
        measure("ours", [sys.executable, "-m", "bot.cli", "apply", str(campaign), "--repo",
                         str(copies["ours"]), *jobs_args], work),
        *([measure("libcst", [*libcst, "."], copies["libcst"])] if whole_tree else []),
        measure("libcst-grep", [*libcst, *grepped], copies["libcst-grep"]),
        measure("grep", ["grep", "-rl", NEEDLE, "."], copies["ours"]),
        measure("ruff", ["ruff", "check", "--select", "E9", "--no-cache", "--quiet", "."], copies["ours"]),
    ]
    campaign10 = work / "campaign10.yml"
    campaign10.write_text(CAMPAIGN10)
    one_old, one_new = LIBCST_ONE_OF_TEN
    one_files = grep_files(copies["libcst-1of10"], one_old.rsplit(".", 1)[1])
    needles10 = "|".join(sorted({old.rsplit(".", 1)[1] for old, _ in RULES10}))
    measures += [
        measure("ours-10", [sys.executable, "-m", "bot.cli", "apply", str(campaign10), "--repo",
                            str(copies["ours-10"]), *jobs_args], work),
        *([measure("libcst-1of10", [*libcst[:5], "--old_name", one_old, "--new_name", one_new, *libcst[9:],
                                     *one_files], copies["libcst-1of10"])] if whole_tree else []),
        measure("grep-10", ["grep", "-rlE", needles10, "."], copies["ours"]),
    ]
    return measures, copies


def print_table(measures: list[Measure]) -> None:
    print(f"| {'tool':<12} | {'wall s':>8} | {'CPU s':>8} | {'peak RSS MB':>11} | exit |")
    print(f"| {'-' * 12} | {'-' * 8}:| {'-' * 8}:| {'-' * 11}:| ---: |")
    for m in measures:
        print(f"| {m.name:<12} | {m.wall:8.2f} | {m.cpu:8.2f} | {m.rss_mb:11.1f} | {m.code:4d} |")
    by = {m.name: m for m in measures}
    ours = by["ours"]
    if "libcst" not in by:  # --no-whole-tree: libCST's grep-fed run of rule 1 stands for both
        by["libcst"] = by["libcst-1of10"] = by["libcst-grep"]
    print()
    print(f"libcst whole tree / ours (wall): {by['libcst'].wall / ours.wall:6.1f}x   (target >= 10)")
    print(f"libcst grep-fed / ours (wall):   {by['libcst-grep'].wall / ours.wall:6.1f}x")
    print(f"ours / libcst peak memory:       {ours.rss_mb / by['libcst'].rss_mb:6.2f}    (target <= 1)")
    print(f"ours / grep (wall):              {ours.wall / by['grep'].wall:6.1f}x   (distance to the floor)")
    print(f"ours / ruff (wall):              {ours.wall / by['ruff'].wall:6.1f}x   (target <= 15)")
    if "ours-10" in by:
        ten = by["ours-10"]
        print(f"ours-10 / ruff (wall):           {ten.wall / by['ruff'].wall:6.1f}x   (target <= 50)")
        print(f"ours-10 / grep-10 (wall):        {ten.wall / by['grep-10'].wall:6.1f}x")
        print(f"ours-10 / ours (wall):           {ten.wall / ours.wall:6.1f}x   (ten rules against one)")
        print(f"libcst one of ten / ours-10:     {by['libcst-1of10'].wall / ten.wall:6.1f}x   (one of its ten "
              "invocations, grep-fed; the ten would take about ten times as long)")
        print(f"ours-10 / libcst peak memory:    {ten.rss_mb / by['libcst'].rss_mb:6.2f}    (target <= 1)")


def compare(pristine: dict[str, bytes], ours: Path, theirs: Path, label: str) -> int:
    """Prints how the two tools' changes differ; returns the number of files that differ in meaning.

    A file whose only difference is where the new import sits (libCST's AddImportsVisitor appends it
    after the last import or merges it into an existing `from functools import ...`, ours rewrites the
    import in place) binds the same names and runs the same code: it is counted, not printed in full.
    """
    a, b = python_files(ours), python_files(theirs)
    changed_a = {p for p, data in a.items() if pristine.get(p) != data}
    changed_b = {p for p, data in b.items() if pristine.get(p) != data}
    print(f"\nchanged files: ours {len(changed_a)}, {label} {len(changed_b)}, both {len(changed_a & changed_b)}")
    differ = sorted(p for p in changed_a | changed_b if a.get(p) != b.get(p))
    placement = [p for p in differ if p in a and p in b and _meaning(a[p]) == _meaning(b[p])]
    real = [p for p in differ if p not in placement]
    identical = len(changed_a | changed_b) - len(differ)
    print(f"identical: {identical}; import placement only (same bindings, same code): {len(placement)}; "
          f"different: {len(real)}")
    for path in placement[:1] + real:
        print(f"\n--- {path}: {label} -> ours" + (" (import placement only)" if path in placement else ""))
        diff = difflib.unified_diff(b.get(path, b"").decode().splitlines(), a.get(path, b"").decode().splitlines(),
                                    f"{label}/{path}", f"ours/{path}", lineterm="", n=1)
        print("\n".join(list(diff)[:40]))
    return len(real)


class _DropImports(ast.NodeTransformer):
    def __init__(self) -> None:
        self.bindings: set[tuple[str, str, str | None]] = set()

    def visit_Import(self, node: ast.Import) -> None:
        self.bindings.update(("", alias.name, alias.asname) for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        self.bindings.update((module, alias.name, alias.asname) for alias in node.names)


def _meaning(data: bytes) -> tuple[str, frozenset[tuple[str, str, str | None]]] | None:
    """The code without its import statements, and the set of names the imports bind."""
    try:
        tree = ast.parse(data)
    except SyntaxError:
        return None
    dropper = _DropImports()
    return ast.dump(dropper.visit(tree)), frozenset(dropper.bindings)


def _chains(source: bytes) -> list[tuple[str, ...]] | None:
    """Qualified names of every name or attribute chain outside import statements, in source order."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, ScopeProvider

    class Chains(cst.CSTVisitor):
        def __init__(self, scopes: object) -> None:
            super().__init__()
            self.scopes, self.found = scopes, []

        def visit_Import(self, node: cst.Import) -> bool:
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            base: cst.BaseExpression = node
            while isinstance(base, cst.Attribute):
                base = base.value
            if isinstance(base, cst.Name):
                self.record(node)
                return False
            return True

        def visit_Name(self, node: cst.Name) -> None:
            self.record(node)

        def record(self, node: cst.CSTNode) -> None:
            scope = self.scopes.get(node)
            names = scope.get_qualified_names_for(node) if scope is not None else set()
            self.found.append(tuple(sorted(q.name for q in names)))

    try:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except cst.ParserSyntaxError:
        return None
    visitor = Chains(wrapper.resolve(ScopeProvider))
    wrapper.module.visit(visitor)
    return visitor.found


def _renamed(names: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for name in names:
        for old, new in RULES10:
            if name == old or name.startswith(old + "."):
                name = new + name[len(old):]
                break
        out.append(name)
    return tuple(sorted(out))


def _check_file(item: tuple[str, bytes, bytes]) -> str | None:
    """None when `after` means what `before` meant with the ten moves applied; else why not."""
    path, before, after = item
    try:
        compile(after, path, "exec")
    except SyntaxError as error:
        return f"{path}: does not compile: {error}"
    old, new = _chains(before), _chains(after)
    if old is None or new is None or len(old) != len(new):
        return f"{path}: the names of the code differ in number"
    for index, (a, b) in enumerate(zip(old, new, strict=True)):
        if b not in (a, _renamed(a)):
            return f"{path}: name #{index} meant {a or '(nothing)'}, now {b or '(nothing)'}"
    return None


def semantic_check(pristine: dict[str, bytes], ours: Path) -> int:
    """The independent check of the ten-rule run; returns the number of files that fail it."""
    from concurrent.futures import ProcessPoolExecutor

    after = python_files(ours)
    items = [(p, pristine[p], data) for p, data in sorted(after.items()) if pristine.get(p) != data]
    with ProcessPoolExecutor() as pool:
        problems = [p for p in pool.map(_check_file, items, chunksize=8) if p]
    print(f"\nten rules: ours changed {len(items)} files; semantic check (scope analysis before and after): "
          f"{len(items) - len(problems)} agree, {len(problems)} disagree")
    for problem in problems[:20]:
        print(f"  {problem}")
    return len(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_DIRS)} (smoke run)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for both tools (default: cores)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and print its path")
    parser.add_argument("--no-whole-tree", action="store_true",
                        help="skip libCST's whole-tree run and its run of another rule: its grep-fed run of "
                             "rule 1 is the reference (output and memory) and the one timed invocation of ten")
    args = parser.parse_args(argv)
    pristine = sdist_tree()
    work = Path(tempfile.mkdtemp(prefix="bench-apply-"))
    try:
        measures, copies = run_all(pristine, work, args.quick, args.jobs, not args.no_whole_tree)
        print(f"\nDjango {VERSION}{' (quick subset)' if args.quick else ''}, {os.cpu_count()} cores, "
              f"rule {OLD} -> {NEW}\n")
        print_table(measures)
        base_root = pristine if not args.quick else None
        base = python_files(base_root) if base_root else _quick_pristine(pristine)
        reference = "libcst" if not args.no_whole_tree else "libcst-grep"
        different = compare(base, copies["ours"], copies[reference], reference)
        different += semantic_check(base, copies["ours-10"])
    finally:
        if args.keep:
            print(f"\nwork folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if different else 0


def _quick_pristine(pristine: Path) -> dict[str, bytes]:
    return {f"{sub}/{p}": data for sub in QUICK_DIRS for p, data in python_files(pristine / sub).items()}


if __name__ == "__main__":
    sys.exit(main())
