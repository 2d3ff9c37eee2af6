"""Usages of imported names read off the stdlib tree, for the files where that is as exact as libCST's scopes.

The contract, relied on by `references.quick_references` and the one-pass move: `Survey.run` returns False
whenever the answer could differ from libCST's `ScopeProvider` (a name bound other than by an import at
module level, in a class body, a lambda or a comprehension, or declared `global`/`nonlocal`; an import in a
class body; a usage before its import; a name inside a string annotation or an f-string...). When it
returns True, `usages_of(site)` are exactly the accesses libCST attaches to that import alias. A function
that binds the name itself (a parameter, an assignment, a loop target...) shadows the import in its whole
body, as Python and libCST both read it: the loads there are not usages of the import.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace

from bot.engine.codemods.bindings import Relation, absolute_module, relation

_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef
_Defs = tuple[ast.AST, ...]  #: the module, functions and binding comprehensions around a node, outermost first
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPOUND_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
#: calls whose arguments libCST reads as type hints (strings in them are parsed as code)
_TYPING_CALLS = frozenset({"cast", "TypeVar", "NewType"})
_TYPING_MODULES = ("typing", "typing_extensions")


@dataclass(frozen=True, eq=False)
class Site:
    """One alias of one absolute import statement (relative ones only bind: `relative` is True)."""

    stmt: ast.Import | ast.ImportFrom
    bound: str  #: dotted path bound, e.g. "a.b.X"
    local: str  #: the name libCST's scope records: the `as` name, else the dotted module / imported name
    module: str | None  #: the `from` module; None for `import`
    scope: _Scope | None  #: the module or function whose scope holds it; None in a class body
    relative: bool = False
    aliased: bool = False  #: written with `as` (even `as` its own name)
    relation: Relation = Relation.NONE
    module_moves: bool = False  #: `from M import ...` where M is (inside) the migrated path

    @property
    def head(self) -> str:
        return self.local.split(".", 1)[0]

    @property
    def dotted(self) -> bool:
        return "." in self.local

    @property
    def resolves(self) -> bool:
        """Its usages matter: it binds the migrated path itself or a module holding it."""
        return self.relation in (Relation.SAME, Relation.HOLDS) and not self.module_moves

    def names(self) -> Iterator[str]:
        """Every name it records: `import a.b.c` records a.b.c, a.b and a."""
        parts = self.local.split(".")
        for end in range(len(parts), 0, -1):
            yield ".".join(parts[:end])

    def concerning(self, old: str, rel: Relation, moves: bool) -> Site:
        return replace(self, relation=rel, module_moves=moves)


def import_aliases(tree: ast.Module, package: str | None = None) -> list[Site]:
    """Every alias of every import statement (star imports bind nothing libCST records), in source order.
    Relative imports are resolved against `package` when it is known (else marked `relative`)."""
    out: list[Site] = []
    _collect(tree.body, tree, out, package)
    return out


def _collect(body: list[ast.stmt], scope: _Scope | None, out: list[Site], package: str | None = None) -> None:
    for stmt in body:
        if isinstance(stmt, ast.Import):
            out.extend(Site(stmt, a.name, a.asname or a.name, None, scope, aliased=a.asname is not None)
                       for a in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            if stmt.names[0].name == "*":
                continue
            module, relative = stmt.module or "", bool(stmt.level) or stmt.module is None
            if stmt.level:
                resolved = absolute_module(stmt.level, stmt.module, package)
                module, relative = (resolved, False) if resolved else (module, True)
            out.extend(Site(stmt, f"{module}.{a.name}", a.asname or a.name, module, scope, relative,
                            aliased=a.asname is not None) for a in stmt.names)
        elif isinstance(stmt, _FUNCTIONS):
            _collect(stmt.body, stmt, out, package)
        elif isinstance(stmt, ast.ClassDef):
            _collect(stmt.body, None, out, package)
        else:
            for name in _COMPOUND_FIELDS:
                for child in getattr(stmt, name, ()):
                    _collect(child.body if isinstance(child, (ast.ExceptHandler, ast.match_case)) else [child],
                             scope, out, package)


def import_statements(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement at any depth, in no particular order, with whether a `try` holds it (in its
    body, handlers, else or finally). Only statements are walked: imports are never inside expressions."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_try = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_try
            continue
        inside = in_try or isinstance(node, (ast.Try, ast.TryStar))
        for name in _COMPOUND_FIELDS:
            stack.extend((child, inside) for child in getattr(node, name, ()))


def sites_concerning(aliases: list[Site], old: str) -> list[Site]:
    """The aliases concerning `old`, with their relation, exactly as `bindings.sites_in` decides it."""
    out = []
    for alias in aliases:
        if alias.relative:
            continue
        if alias.module is None:
            rel, moves = relation(alias.bound, old), False
        else:
            moves = relation(alias.module, old) in (Relation.SAME, Relation.INSIDE)
            rel = Relation.INSIDE if moves else relation(alias.bound, old)
        if rel is not Relation.NONE:
            out.append(alias.concerning(old, rel, moves))
    return out


@dataclass(frozen=True, eq=False)
class Usage:
    """A load of an imported name, with the pure attribute chain above it: chain[0] is the Name."""

    chain: tuple[ast.expr, ...]
    attrs: tuple[str, ...]  #: attrs[i] is chain[i + 1].attr
    depth: int  #: chain[depth] is the node libCST records as the access (the longest bound dotted name)


@dataclass(frozen=True)
class _Load:
    chain: tuple[ast.expr, ...]
    defs: _Defs
    enclosed: bool  #: inside the value of an outer attribute that is not a plain chain


class Survey:
    """One walk over the tree recording the loads of `heads`, and whatever would make them ambiguous."""

    def __init__(self, heads: set[str]) -> None:
        self.heads = heads
        self.unsafe = False
        self._loads: dict[str, list[_Load]] = defaultdict(list)
        self._typing_calls = set(_TYPING_CALLS)
        self._usages: dict[tuple[int, str], list[Usage]] = defaultdict(list)
        #: head -> ids of the functions binding it themselves (so it is their local everywhere in them)
        self._locals: dict[str, set[int]] = defaultdict(set)
        self._opaque = 0  #: inside a class body, a lambda or a comprehension of the innermost function
        #: ids of the Names loaded inside an f-string: usages, but not places to splice a rewrite into
        self.in_fstring: set[int] = set()

    def run(self, tree: ast.Module, aliases: list[Site]) -> bool:
        """Walks `tree`; False when libCST's scopes could disagree with the simple reading."""
        self._typing_calls.update(a.local for a in aliases
                                  if a.module in _TYPING_MODULES and a.bound.rsplit(".", 1)[1] in _TYPING_CALLS)
        bindings = [a for a in aliases if a.head in self.heads]
        if any(a.scope is None for a in bindings):
            return False
        try:
            self._visit(tree, (tree,), False, False, False)
        except RecursionError:
            return False
        return not self.unsafe and self._resolve(bindings)

    def usages_of(self, site: Site) -> list[Usage]:
        return self._usages.get((id(site.scope), site.local), [])

    # --- resolution ----------------------------------------------------------------------------------

    def _resolve(self, bindings: list[Site]) -> bool:
        per_head: dict[str, dict[int, list[Site]]] = defaultdict(lambda: defaultdict(list))
        for site in bindings:
            per_head[site.head][id(site.scope)].append(site)
        for head, loads in self._loads.items():
            scopes = per_head[head]
            dotted = any(s.dotted and s.module is None for group in scopes.values() for s in group)
            if dotted and len(scopes) > 1:
                return False
            for load in loads:
                if not self._resolve_load(load, scopes, dotted):
                    return False
        return True

    def _resolve_load(self, load: _Load, scopes: dict[int, list[Site]], dotted: bool) -> bool:
        first = load.chain[0]
        assert isinstance(first, ast.Name)
        shadowing = self._locals.get(first.id, set())
        for d in reversed(load.defs):
            if id(d) in shadowing:
                return id(d) not in scopes  # a local of that function, unless it is also imported there
            if id(d) in scopes:
                break
        scope = next((d for d in reversed(load.defs) if id(d) in scopes), None)
        if scope is None:
            return True  # bound nowhere it can see: a builtin or a global of another module
        sites = scopes[id(scope)]
        if (first.lineno, first.col_offset) <= max((s.stmt.lineno, s.stmt.col_offset) for s in sites):
            return False  # used before (or between) its imports in that scope
        if dotted and load.enclosed:
            return False
        attrs = tuple(c.attr for c in load.chain[1:] if isinstance(c, ast.Attribute))
        depth = 0
        if dotted:
            recorded = {n for s in sites for n in s.names()}
            depth = next(d for d in range(len(attrs), -1, -1) if ".".join((first.id, *attrs[:d])) in recorded)
        name = ".".join((first.id, *attrs[:depth]))
        self._usages[(id(scope), name)].append(Usage(load.chain, attrs, depth))
        return True

    # --- the walk ------------------------------------------------------------------------------------

    def _visit(self, node: ast.AST, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, defs, enclosed, typing, fstring)
            return
        for child in ast.iter_child_nodes(node):
            self._visit(child, defs, enclosed, typing, fstring)

    def _binds(self, defs: _Defs, *names: str | None) -> None:
        """A binding in the innermost scope: a function's own local, else (module level, class body, lambda,
        comprehension) a binding libCST may read otherwise than this walk."""
        for name in names:
            if name and name in self.heads:
                if len(defs) > 1 and not self._opaque:
                    self._locals[name].add(id(defs[-1]))
                else:
                    self.unsafe = True

    def _name(self, node: ast.Name, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        if node.id in self.heads:
            if not isinstance(node.ctx, ast.Load):
                self._binds(defs, node.id)
            else:
                self._load((node,), defs, enclosed, fstring)

    def _attribute(self, node: ast.Attribute, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        chain: list[ast.expr] = [node]
        base = node.value
        while isinstance(base, ast.Attribute):
            chain.append(base)
            base = base.value
        if isinstance(base, ast.Name) and base.id in self.heads:
            chain.append(base)
            self._load(tuple(reversed(chain)), defs, enclosed, fstring)
        elif not isinstance(base, ast.Name):
            self._visit(base, defs, True, typing, fstring)

    def _call(self, node: ast.Call, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        func = node.func
        hint = typing or (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) in self._typing_calls
        self._visit(func, defs, False, typing, fstring)
        for child in (*node.args, *node.keywords):
            self._visit(child, defs, False, hint, fstring)

    def _typed(self, node: ast.AST, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        for child in ast.iter_child_nodes(node):
            self._visit(child, defs, enclosed, True, fstring)

    def _load(self, chain: tuple[ast.expr, ...], defs: _Defs, enclosed: bool, fstring: bool) -> None:
        head = chain[0]
        assert isinstance(head, ast.Name)
        self._loads[head.id].append(_Load(chain, defs, enclosed))
        if fstring:
            self.in_fstring.add(id(head))

    def _fstring(self, node: ast.AST, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        """Loads inside a one-line f-string count (their line is the f-string's; a rewrite there is another
        matter: see `in_fstring`); a multi-line one is left to libCST (3.11 positions there are unreliable)."""
        if getattr(node, "lineno", 0) != getattr(node, "end_lineno", 0):
            self.unsafe = self.unsafe or any(
                isinstance(n, ast.Name) and n.id in self.heads for n in ast.walk(node)
            )
        for child in ast.iter_child_nodes(node):
            self._visit(child, defs, enclosed, typing, True)

    def _constant(self, node: ast.Constant, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        value = node.value
        if typing and isinstance(value, (str, bytes)):
            text = value if isinstance(value, str) else value.decode("latin-1")
            if any(head in text for head in self.heads) and _names_in(text) & self.heads:
                self.unsafe = True

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, defs: _Defs, enclosed: bool, typing: bool,
                  fstring: bool) -> None:
        self._binds(defs, node.name)
        for decorator in node.decorator_list:
            self._visit(decorator, defs, False, False, False)
        args = node.args
        for arg in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
            if arg is not None:
                if arg.arg in self.heads:
                    self._locals[arg.arg].add(id(node))
                if arg.annotation is not None:
                    self._visit(arg.annotation, defs, False, True, False)
        for default in (*args.defaults, *args.kw_defaults):
            if default is not None:
                self._visit(default, defs, False, False, False)
        if node.returns is not None:
            self._visit(node.returns, defs, False, True, False)
        opaque, self._opaque = self._opaque, 0
        for stmt in node.body:
            self._visit(stmt, (*defs, node), False, False, False)
        self._opaque = opaque

    def _class(self, node: ast.ClassDef, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        self._binds(defs, node.name)
        for child in (*node.decorator_list, *node.bases, *node.keywords):
            self._visit(child, defs, False, False, False)
        self._opaque += 1
        for stmt in node.body:
            self._visit(stmt, defs, False, False, False)
        self._opaque -= 1

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp, defs: _Defs,
                       enclosed: bool, typing: bool, fstring: bool) -> None:
        """A comprehension whose targets bind a head is a scope of its own: its loads of that head are its
        own; the first iterable is read around it (a head used there too is left to libCST)."""
        generators = node.generators
        bound = {n.id for g in generators for n in ast.walk(g.target) if isinstance(n, ast.Name)} & self.heads
        if not bound:
            self._opaque_scope(node, defs, enclosed, typing, fstring)
            return
        if any(isinstance(n, ast.Name) and n.id in bound for n in ast.walk(generators[0].iter)):
            self.unsafe = True
            return
        self._visit(generators[0].iter, defs, enclosed, typing, fstring)
        inner = (*defs, node)
        opaque, self._opaque = self._opaque, 0
        for index, generator in enumerate(generators):
            self._visit(generator.target, inner, False, typing, fstring)  # type: ignore[arg-type]
            for part in ([generator.iter] if index else []) + generator.ifs:
                self._visit(part, inner, False, typing, fstring)  # type: ignore[arg-type]
        for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            self._visit(part, inner, False, typing, fstring)  # type: ignore[arg-type]
        self._opaque = opaque

    def _walrus(self, node: ast.NamedExpr, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        """`(x := ...)` binds in the enclosing function even inside a comprehension: left to libCST."""
        if node.target.id in self.heads:
            self.unsafe = True
        self._visit(node.value, defs, enclosed, typing, fstring)

    def _opaque_scope(self, node: ast.AST, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        """Lambdas and comprehensions: a head they bind is unsafe; their loads resolve as around them."""
        self._opaque += 1
        for child in ast.iter_child_nodes(node):
            self._visit(child, defs, enclosed, typing, fstring)
        self._opaque -= 1

    def _arg(self, node: ast.arg, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        """A lambda's parameter (a function's are read by `_function`)."""
        if node.arg in self.heads:
            self.unsafe = True
        if node.annotation is not None:
            self._visit(node.annotation, defs, False, True, False)

    def _ann_assign(self, node: ast.AnnAssign, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        self._visit(node.target, defs, False, False, False)
        self._visit(node.annotation, defs, False, True, False)
        if node.value is not None:
            self._visit(node.value, defs, False, False, False)

    def _names(self, node: ast.AST, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        """Statements and patterns that bind (or declare) plain identifiers."""
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            self.unsafe = self.unsafe or any(name in self.heads for name in node.names)
            return
        self._binds(defs, getattr(node, "name", None), getattr(node, "rest", None))
        if isinstance(node, ast.MatchClass) and any(name in self.heads for name in node.kwd_attrs):
            self.unsafe = True  # keyword patterns name attributes; libCST reads them as names
        for child in ast.iter_child_nodes(node):
            self._visit(child, defs, enclosed, typing, fstring)

    def _skip(self, node: ast.AST, defs: _Defs, enclosed: bool, typing: bool, fstring: bool) -> None:
        """Imports: their bindings come from `import_aliases`."""


def _names_in(text: str) -> set[str]:
    """The names a string loads when read as code, as libCST reads a string in a type hint; none when it
    is not an expression (libCST's parser then gives up on it too)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


_HANDLERS = {
    ast.Name: Survey._name,
    ast.Attribute: Survey._attribute,
    ast.Call: Survey._call,
    ast.Subscript: Survey._typed,
    ast.JoinedStr: Survey._fstring,
    ast.Constant: Survey._constant,
    ast.FunctionDef: Survey._function,
    ast.AsyncFunctionDef: Survey._function,
    ast.ClassDef: Survey._class,
    ast.arg: Survey._arg,
    ast.AnnAssign: Survey._ann_assign,
    ast.Global: Survey._names,
    ast.Nonlocal: Survey._names,
    ast.ExceptHandler: Survey._names,
    ast.MatchAs: Survey._names,
    ast.MatchStar: Survey._names,
    ast.MatchMapping: Survey._names,
    ast.MatchClass: Survey._names,
    ast.Import: Survey._skip,
    ast.Lambda: Survey._opaque_scope,
    ast.ListComp: Survey._comprehension,
    ast.SetComp: Survey._comprehension,
    ast.DictComp: Survey._comprehension,
    ast.GeneratorExp: Survey._comprehension,
    ast.NamedExpr: Survey._walrus,
    ast.ImportFrom: Survey._skip,
}
