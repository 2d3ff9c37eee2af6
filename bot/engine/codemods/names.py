"""Names a rewrite must not capture: every identifier a file binds or reads, in any scope.

A move that introduces a local name (`from http import client` for `six.moves.http_client`) or a dotted
head (`http.client.OK`) is only safe when no scope of the file already uses that identifier: a parameter,
a local, a comprehension variable, a class attribute, a `global`/`nonlocal`, a builtin that is read, or a
name that only a star import could bind. The check is deliberately file-wide (scope-blind), so it can
only err towards keeping an alias; it never lets a capture through.
"""

from __future__ import annotations

import libcst as cst

_CACHE_KEY = "migration_bot.names"
_CONSTANTS = frozenset({"None", "True", "False"})


class _Identifiers(cst.CSTVisitor):
    """Every Name that binds or reads a variable; attribute names, keyword names and import paths are not."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self._skip: set[int] = set()

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._skip:
            self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._skip.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._skip.add(id(node.keyword))

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            self._bind_alias(alias, dotted_head=True)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            self.names.add("*")  #: any name may be bound: callers treat that as "no fresh name is safe"
            return False
        for alias in node.names:
            self._bind_alias(alias, dotted_head=False)
        return False

    def _bind_alias(self, alias: cst.ImportAlias, *, dotted_head: bool) -> None:
        local = alias.evaluated_alias or alias.evaluated_name
        self.names.add(local.split(".", 1)[0] if dotted_head else local)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        """String annotations are code to the scope analysis: their identifiers count too."""
        self.names.update(part for part in _words(node.value) if part.isidentifier())


def _words(text: str) -> list[str]:
    out, word = [], []
    for char in text:
        if char.isalnum() or char == "_":
            word.append(char)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return out


def identifiers(module: cst.Module, scratch: dict[str, object] | None = None) -> frozenset[str]:
    """Identifiers bound or read anywhere in `module`; "*" when it has a star import. Cached in `scratch`
    (one codemod context per file), so several rules on one file walk it once; each rule adds the names
    it binds with `add_identifiers` (the only names a rewrite can add)."""
    if scratch is not None:
        cached = scratch.get(_CACHE_KEY)
        if isinstance(cached, frozenset):
            return cached
    visitor = _Identifiers()
    module.visit(visitor)
    found = frozenset(visitor.names)
    if scratch is not None:
        scratch[_CACHE_KEY] = found
    return found


def add_identifiers(scratch: dict[str, object], names: set[str]) -> None:
    """Records names a rewrite bound, so the next rule on the same file sees them without a new walk."""
    cached = scratch.get(_CACHE_KEY)
    if isinstance(cached, frozenset):
        scratch[_CACHE_KEY] = cached | names


def clashes(name: str, taken: frozenset[str]) -> bool:
    """True when binding `name` could capture, or be captured by, something the file already names."""
    return name in taken or ("*" in taken and name not in _CONSTANTS)


def fresh_name(base: str, taken: frozenset[str]) -> str:
    """`base`, or `base_2`, `base_3`...: the first that no scope of the file names."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate
