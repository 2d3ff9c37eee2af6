"""Where a rewritten import goes: into its isort/ruff section (stdlib, third party, first party, local).

A move rewrites an import where it stands; when that turns `from mock import patch` (third party) into
`from unittest.mock import patch` (standard library), isort and ruff would put it in another block. Only
statements the rewrite produced move, only in the module's leading import region, and only when the
block they sit in is of another section: a file whose imports were never sorted is not sorted now.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable

import libcst as cst
from libcst.helpers import get_full_name_for_node

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY, LOCAL = range(5)
_EMPTY = cst.Module([])


def section_of(stmt: cst.Import | cst.ImportFrom, first_party: frozenset[str]) -> int:
    """The isort section of an import statement, by its top-level package."""
    if isinstance(stmt, cst.ImportFrom):
        if stmt.relative:
            return LOCAL
        module = get_full_name_for_node(stmt.module) if stmt.module is not None else ""
    else:
        module = get_full_name_for_node(stmt.names[0].name) or ""
    top = (module or "").split(".", 1)[0]
    if top == "__future__":
        return FUTURE
    if top in first_party:
        return FIRST_PARTY
    if top in sys.stdlib_module_names:
        return STDLIB
    return THIRD_PARTY


def import_codes(module: cst.Module) -> set[str]:
    """The code of every module-level one-import line: what was there before a rewrite."""
    return {_EMPTY.code_for_node(line.body[0]) for line in module.body if _single_import(line) is not None}


def _single_import(line: cst.CSTNode) -> cst.Import | cst.ImportFrom | None:
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        small = line.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return small
    return None


def _sort_key(stmt: cst.Import | cst.ImportFrom) -> tuple[int, str]:
    """isort's default order inside a section: `import x` lines first, then `from x import y`, by module."""
    if isinstance(stmt, cst.Import):
        return 0, (get_full_name_for_node(stmt.names[0].name) or "").lower()
    return 1, (get_full_name_for_node(stmt.module) if stmt.module is not None else "").lower()


def place_imports(module: cst.Module, before: set[str], first_party: Iterable[str]) -> cst.Module:
    """Moves each new module-level import (its code not in `before`) of the leading import region into
    the block of its own section, in isort's order there; a section with no block gets one of its own
    where isort would put it. Returns `module` itself when nothing moves."""
    party = frozenset(first_party)
    body = list(module.body)
    region = 0
    while region < len(body) and (_single_import(body[region]) is not None or _is_docstring(body, region)):
        region += 1
    lines = body[:region]
    blocks = _blocks(lines, party, before)
    moved = False
    for index in range(len(lines) - 1, -1, -1):
        stmt = _single_import(lines[index])
        if stmt is None or _EMPTY.code_for_node(stmt) in before or _has_comment(lines[index]):
            continue
        own = section_of(stmt, party)
        if next(section for section, members in blocks if index in members) == own:
            continue
        line = lines.pop(index)
        if line.leading_lines and index < len(lines) and not lines[index].leading_lines:
            lines[index] = lines[index].with_changes(leading_lines=line.leading_lines)  # keeps the separation
        lines = _insert(lines, line.with_changes(leading_lines=[]), own, party, before)
        blocks = _blocks(lines, party, before)
        moved = True
    if not moved:
        return module
    return module.with_changes(body=[*lines, *body[region:]])


def _has_comment(line: cst.BaseStatement) -> bool:
    """A comment above or beside the line belongs to it where it stands: such a line is not moved."""
    trailing = getattr(line, "trailing_whitespace", None)
    return any(e.comment for e in line.leading_lines) or bool(trailing and trailing.comment)


def _is_docstring(body: list[cst.BaseStatement], index: int) -> bool:
    line = body[index]
    return index == 0 and isinstance(line, cst.SimpleStatementLine) and isinstance(
        getattr(line.body[0], "value", None), (cst.SimpleString, cst.ConcatenatedString))


def _blocks(lines: list[cst.BaseStatement], party: frozenset[str],
            before: set[str]) -> list[tuple[int | None, set[int]]]:
    """(section, line indexes) per blank-line-separated block. A block's section is that of its first
    import that was there before the rewrite (else of its first import); None for the docstring."""
    blocks: list[tuple[int | None, set[int]]] = []
    for index, line in enumerate(lines):
        if _single_import(line) is None:
            blocks.append((None, {index}))
        elif not blocks or blocks[-1][0] is None or line.leading_lines:
            blocks.append((0, {index}))
        else:
            blocks[-1][1].add(index)
    return [(None, members) if section is None else (_block_section(lines, members, party, before), members)
            for section, members in blocks]


def _block_section(lines: list[cst.BaseStatement], members: set[int], party: frozenset[str],
                   before: set[str]) -> int:
    stmts = [_single_import(lines[i]) for i in sorted(members)]
    old = [s for s in stmts if s is not None and _EMPTY.code_for_node(s) in before]
    first = (old or stmts)[0]
    assert first is not None
    return section_of(first, party)


def _insert(lines: list[cst.BaseStatement], line: cst.SimpleStatementLine, section: int,
            party: frozenset[str], before: set[str]) -> list[cst.BaseStatement]:
    stmt = _single_import(line)
    assert stmt is not None
    blocks = _blocks(lines, party, before)
    same = [b for b in blocks if b[0] == section]
    if same:
        indexes = sorted(same[-1][1])
        at = next((i for i in indexes if _sort_key(_single_import(lines[i])) > _sort_key(stmt)),  # type: ignore[arg-type]
                  indexes[-1] + 1)
        if at == indexes[0]:  # it opens the block: it takes the block's separation
            line = line.with_changes(leading_lines=lines[at].leading_lines)
            lines[at] = lines[at].with_changes(leading_lines=[])
        return [*lines[:at], line, *lines[at:]]
    later = [b for b in blocks if b[0] is not None and b[0] > section]
    blank = [cst.EmptyLine()]
    if later:
        at = min(later[0][1])
        following = lines[at].with_changes(leading_lines=blank)
        return [*lines[:at], line.with_changes(leading_lines=lines[at].leading_lines), following, *lines[at + 1:]]
    return [*lines, line.with_changes(leading_lines=blank if lines else [])]


def first_party_packages(paths: Iterable[str], pyproject: str | None = None) -> frozenset[str]:
    """The repository's own top-level packages and modules (a leading "src/" is the layout), plus the
    `known-first-party` of `[tool.isort]` or `[tool.ruff.lint.isort]` (`[tool.ruff.isort]`) in its
    pyproject.toml text; a pyproject that does not parse adds nothing."""
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")
        parts = parts[1:] if len(parts) > 1 and parts[0] == "src" else parts
        top = parts[0].removesuffix(".py") if len(parts) == 1 else parts[0]
        if top.isidentifier():
            found.add(top)
    if pyproject:
        found.update(_known_first_party(pyproject))
    return frozenset(found)


def _known_first_party(text: str) -> set[str]:
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return set()
    ruff = tool.get("ruff", {})
    tables = [tool.get("isort", {}), ruff.get("isort", {}), ruff.get("lint", {}).get("isort", {})]
    names: set[str] = set()
    for table in tables:
        for key in ("known-first-party", "known_first_party"):
            value = table.get(key, []) if isinstance(table, dict) else []
            if isinstance(value, list):
                names.update(v for v in value if isinstance(v, str))
    return names
