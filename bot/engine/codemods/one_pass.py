"""Every move rule of a campaign applied to a file in one pass: the stdlib tree decides, libCST edits imports.

libCST's parse, traversal and scope analysis of a whole file cost ten to fifty times the stdlib parser's,
and the per-rule path paid them once per rule. Here the file is parsed once with `ast`, and `Survey` (which
vouches for libCST's scope answer or says it cannot) finds every usage of every rule in one walk. Usages are
spliced into the text at the stdlib tree's byte positions, so nothing else on their lines changes. Each
import statement concerned is parsed on its own by libCST and rewritten, rule after rule, by
`MoveNameCommand`'s own statement logic; the leading import block then goes through `place_imports`, as on
the per-rule path. The output is the text the per-rule path writes (a differential test holds the two
together over whole trees).

Whatever this pass cannot vouch for makes it return None and the per-rule libCST path takes the file, and
reports what it finds there: a name bound twice or in a class body, a possible name clash, an import in a
`try` or sharing its line, a usage before its import, a rule reaching an import another rule wrote.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.codemod import CodemodContext

from bot.campaign.spec import MoveRule
from bot.engine.codemods.bindings import ImportSite, Relation, import_sites, package_of
from bot.engine.codemods.command import Note
from bot.engine.codemods.move import MoveNameCommand
from bot.engine.codemods.names import clashes
from bot.engine.codemods.sections import place_imports
from bot.engine.codemods.statements import ImportStatementRewriter, top_level_imports
from bot.engine.codemods.usages import (
    Site,
    Survey,
    Usage,
    import_aliases,
    import_statements,
    sites_concerning,
)
from bot.engine.results import FindingKind

log = logging.getLogger(__name__)

_TAIL = re.compile(rb"[ \t]*(#[^\r\n]*)?(\n|$)")  #: what may follow a statement on its last line
_WORD = re.compile(r"\w+")
_NOTHING = ast.Module(body=[], type_ignores=[])  #: what the pass holds once it let the file's tree go
_STAR = re.compile(r"\bimport\s+\*")


class Undecided(Exception):
    """This pass cannot vouch for the result; the per-rule libCST path takes the file."""


def move_in_one_pass(path: str, source: str, tree: ast.Module | list[ast.Module], rules: Sequence[MoveRule],
                     first_party: frozenset[str]) -> tuple[str, list[Note]] | None:
    """The file's new text after every rule (in order) and the findings, as the per-rule path gives them;
    None when only that path can tell. Given the tree in a one-item list, the pass takes it out and lets it
    go before it parses the new text, so a large file's two stdlib trees never live at once."""
    try:
        one = _OnePass(path, source, tree.pop() if isinstance(tree, list) else tree, first_party)
        del tree
        return one.run(rules), one.notes
    except Undecided:
        return None
    except Exception as error:  # never worse than the per-rule path: it takes the file
        log.warning("one-pass move fell back", extra={"path": path, "error": repr(error)})
        return None


class _Statements(MoveNameCommand):
    """The rule's statement logic, fed the usage counts the stdlib pass found instead of libCST's scopes."""

    def __init__(self, rule: MoveRule, path: str) -> None:
        super().__init__(CodemodContext(filename=path), old=rule.old, new=rule.new, alias=rule.alias)
        #: (bound, local) of an import of a module holding `old` -> (usages, usages rewritten, prefixes)
        self.holds: dict[tuple[str, str], tuple[int, int, bool]] = {}
        self.kept: set[tuple[str, str]] = set()  #: `from` imports keeping their local name
        self.aliased: dict[tuple[str, str], str] = {}  #: `import`s bound to a fresh name
        self.notes: list[Note] = []

    def holds_usages(self, site: ImportSite) -> tuple[int, int, bool]:
        return self.holds.get((site.bound, site.local), (0, 0, False))

    def keeps_name(self, site: ImportSite) -> bool:
        return (site.bound, site.local) in self.kept

    def alias_of(self, site: ImportSite) -> str | None:
        return self.aliased.get((site.bound, site.local))

    def module_usage_text(self) -> str:
        """What `_module_usage` writes for a `mod.X`-style usage of `old`."""
        return cst.Module([]).code_for_node(self._module_usage())

    def report(self, kind: FindingKind, node: object, rule: str, message: str) -> None:
        """Findings about stdlib nodes: their line is the node's own."""
        self.notes.append(Note(kind, getattr(node, "lineno", 0), rule, message))

    def rewrite(self, stmt: cst.Import | cst.ImportFrom, sites: list[ImportSite],
                module_imports: set[str]) -> list[cst.BaseSmallStatement]:
        out = self._rewrite_statement(stmt, sites, module_imports)
        if not out:
            raise Undecided("an import statement would go away with the lines above it")
        return out


class _Rewriter(ImportStatementRewriter):
    """The statement rewriter over one statement's snippet, told the whole file's plain imports."""

    def __init__(self, command: _Statements, sites: dict[int, list[ImportSite]], module_imports: set[str]) -> None:
        super().__init__(command.rewrite, sites)
        self._file_imports = module_imports

    def visit_Module(self, node: cst.Module) -> bool:
        self._module_imports = self._file_imports
        return True


class _Taken:
    """The names a file already uses, for `clashes` and `fresh_name`. A name that is not even a substring of
    the file (with no star import) is free without a walk; otherwise the stdlib reading decides, and where
    it cannot tell whether libCST's set holds the name, the pass is undecided."""

    def __init__(self, source: str, read: Callable[[], tuple[set[str], set[str]]]) -> None:
        self.source, self.read = source, read
        self.sure: set[str] | None = None
        self.maybe: set[str] = set()
        self.added: set[str] = set()
        self.star = _STAR.search(source) is not None

    def add(self, names: set[str]) -> None:
        self.added |= names

    def _has(self, name: str) -> bool:
        if name in self.added:
            return True
        if name not in self.source and not self.star:
            return False
        if self.sure is None:
            sure, maybe = self.read()
            self.sure, self.maybe = sure, maybe - sure
        if name in self.maybe:
            raise Undecided(f"whether `{name}` is taken")
        return name in self.sure

    def clashes(self, name: str) -> bool:
        """`names.clashes`: taken, or possibly bound by a star import."""
        return self._has(name) or (self.star and self._has("*") and clashes(name, frozenset({"*"})))

    def fresh(self, base: str) -> str:
        candidate, n = base, 1
        while self._has(candidate):
            n += 1
            candidate = f"{base}_{n}"
        return candidate


@dataclass
class _Snippet:
    """One import statement's whole lines, parsed alone (inside `if 1:` when indented)."""

    stmt: ast.Import | ast.ImportFrom
    start: int  #: byte offset of its first line
    end: int  #: byte offset just past its last line
    indented: bool
    tree: cst.Module
    lines: int  #: how many lines it spans now

    def code(self) -> str:
        code = self.tree.code
        return code.split("\n", 1)[1] if self.indented else code


class _Shift:
    """How many lines the import rewrites so far added above an original line."""

    def __init__(self, snippets: dict[int, _Snippet]) -> None:
        self.grown = [(s.stmt.lineno, s.lines - ((s.stmt.end_lineno or 0) - s.stmt.lineno + 1)) for s in snippets.values()]

    def at(self, line: int) -> int:
        return sum(delta for start, delta in self.grown if start < line)


@dataclass
class _Rule:
    command: _Statements
    sites: list[Site]
    keys: set[tuple[str, str]] = field(default_factory=set)


class _OnePass:
    def __init__(self, path: str, source: str, tree: ast.Module, first_party: frozenset[str]) -> None:
        if "\r" in source:
            raise Undecided("carriage returns")
        self.path, self.source, self.tree = path, source, tree
        self.package = package_of(path)
        self.first_party = first_party
        self.data = source.encode("utf-8")
        self.starts = [0, *(m.end() for m in re.finditer(rb"\n", self.data))]
        self.edits: list[tuple[int, int, bytes]] = []
        #: (head name written, the qualified name it must resolve to)
        self.inserted: list[tuple[str, str]] = []
        self.consumed: set[int] = set()  #: ids of the Names whose usage a rule rewrote
        self.dropped: set[tuple[str, str]] = set()  #: import aliases a rule took out of the file
        self.plans: list[_Rule] = []

    @property
    def notes(self) -> list[Note]:
        return [note for plan in self.plans for note in plan.command.notes]

    # -- positions ----------------------------------------------------------------------------------
    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def line_end(self, line: int) -> int:
        return self.starts[line] if line < len(self.starts) else len(self.data)

    def span(self, node: ast.expr) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno or 0, node.end_col_offset or 0)

    # -- the pass -----------------------------------------------------------------------------------
    def run(self, rules: Sequence[MoveRule]) -> str:
        """Rule after rule, as the per-rule path: its usages, then its import statements."""
        aliases = import_aliases(self.tree, self.package)
        for rule in rules:
            sites = sites_concerning(aliases, rule.old)
            if sites:
                self.plans.append(_Rule(_Statements(rule, self.path), sites, {(s.bound, s.local) for s in sites}))
        if not self.plans:
            return self.source
        snippets = self.snippets()
        scoped = {id(p): [s for s in p.sites if self.changes_binding(p.command, s)] for p in self.plans}
        survey, taken = self.survey(scoped, aliases)
        for plan in self.plans:
            sites = [site for site in scoped[id(plan)] if (site.bound, site.local) not in self.dropped]
            if sites and survey is not None and taken is not None:
                self.plan_usages(plan, sites, survey, taken, snippets)
            self.rewrite_statements(plan, snippets)
        for snippet in snippets.values():
            self.edits.append((snippet.start, snippet.end, snippet.code().encode("utf-8")))
        new = self.splice()
        if new == self.source:
            return new
        before, cut = self.before_codes(), self.region_end()
        del survey, taken, scoped, aliases  # the analysis is done: only what `place` and `check` need stays
        for plan in self.plans:
            plan.sites = []
        self.tree = _NOTHING
        return self.check(self.place(new, before, cut))

    def survey(self, scoped: dict[int, list[Site]], aliases: list[Site]) -> tuple[Survey | None, _Taken | None]:
        """One walk for the usages of every rule whose rewrite changes a binding (None: no rule does)."""
        heads = {s.head for sites in scoped.values() for s in sites}
        if not heads:
            return None, None
        for head in heads:
            if sum(1 for a in aliases if a.head == head) != 1:
                raise Undecided(f"`{head}` is bound by more than one import")
        if any(s.dotted and s.module is None for sites in scoped.values() for s in sites):
            raise Undecided("a dotted `import a.b` whose usages change")
        survey = Survey(heads)
        if not survey.run(self.tree, aliases):
            raise Undecided("the stdlib tree cannot vouch for the scopes")
        return survey, _Taken(self.source, self.identifiers)

    def plan_usages(self, plan: _Rule, sites: list[Site], survey: Survey, taken: _Taken,
                    snippets: dict[int, _Snippet]) -> None:
        """One rule's usages, deciding as `MoveNameCommand` does (its findings carry the lines of the file
        as the earlier rules left it, as on the per-rule path)."""
        command = plan.command
        before = len(command.notes)
        sites = [site for site in sites if not self.avoid_capture(command, site, taken)]
        if len(command.notes) > before:
            shift = _Shift(snippets)
            command.notes[before:] = [replace(n, line=n.line + shift.at(n.line)) for n in command.notes[before:]]
        if not sites:
            return
        taken.add(command._bound_names())
        for site in sites:  # an earlier rule's rewrite took some usages out of the file
            usages = [u for u in survey.usages_of(site) if id(u.chain[0]) not in self.consumed]
            if any(id(u.chain[0]) in survey.in_fstring for u in usages):
                raise Undecided("a usage to rewrite inside an f-string")
            self.rewrite_usages(command, site, usages)

    def rewrite_usages(self, command: _Statements, site: Site, usages: list[Usage]) -> None:
        if site.relation is Relation.HOLDS:
            rest = tuple(command.old[len(site.bound) + 1:].split("."))
            text = command.module_usage_text()
            rewritten = 0
            for usage in usages:
                end = usage.depth + len(rest)
                if end < len(usage.chain) and usage.attrs[usage.depth:end] == rest:
                    self.edit(usage.chain[end], text, command.new)
                    self.consumed.add(id(usage.chain[0]))
                    rewritten += 1
            command.holds[(site.bound, site.local)] = (len(usages), rewritten, False)
            if rewritten and rewritten == len(usages):
                self.dropped.add((site.bound, site.local))  # `_rewrite_statement` drops the alias
            return
        qualified = command.new + site.bound[len(command.old):]
        target = command.aliased.get((site.bound, site.local), qualified) if site.module is None else command.new_last
        for usage in usages:
            self.edit(usage.chain[usage.depth], target, qualified)
            self.consumed.add(id(usage.chain[0]))

    @staticmethod
    def changes_binding(command: _Statements, site: Site) -> bool:
        plain = site.module is None
        names = len(site.stmt.names) if plain else 0
        return command.changes_binding(site.relation, site.module_moves, site.aliased, plain, names, site.bound,
                                       site.local)

    @staticmethod
    def avoid_capture(command: _Statements, site: Site, taken: _Taken) -> bool:
        """`MoveNameCommand._avoid_capture` for one site; True when the site keeps its local name."""
        key = (site.bound, site.local)
        if site.relation is Relation.HOLDS:
            head = command.import_path.split(".", 1)[0]
            if command._module_alias is None and head != site.head and taken.clashes(head):
                command._module_alias = taken.fresh(command.import_path.replace(".", "_"))
                command._clash(site, head, f"the new module is imported as `{command._module_alias}`")  # type: ignore[arg-type]
        elif site.module is not None:
            if taken.clashes(command.new_last):
                command.kept.add(key)
                command._clash(site, command.new_last, f"the import keeps the local name `{site.local}`")  # type: ignore[arg-type]
                return True
        else:
            target = command.new + site.bound[len(command.old):]
            head = target.split(".", 1)[0]
            if head != site.head and taken.clashes(head):
                command.aliased[key] = taken.fresh(target.replace(".", "_"))
                command._aliased[key] = command.aliased[key]  # type: ignore[index]  # for `_bound_names`
                command._clash(site, head, f"it is imported as `{command.aliased[key]}`")  # type: ignore[arg-type]
        return False

    def edit(self, node: ast.expr, text: str, qualified: str) -> None:
        start, end = self.span(node)
        self.edits.append((start, end, text.encode("utf-8")))
        self.inserted.append((text, qualified))

    def identifiers(self) -> tuple[set[str], set[str]]:
        """`names.identifiers` (libCST's) read off the stdlib tree, as (sure, maybe): every name bound or
        read, import locals and "*" for a star import, and the words of string literals (libCST reads
        string annotations) are sure; the words of f-strings and of strings with a "#" (a comment may
        sit between concatenated parts) may or may not be in libCST's set."""
        sure: set[str] = set()
        maybe: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name):
                sure.add(node.id)
            elif isinstance(node, ast.arg):
                sure.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                sure.add(node.name)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                sure.update(node.names)
            elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
                sure.add(node.name or "")
            elif isinstance(node, ast.MatchMapping):
                sure.add(node.rest or "")
            elif isinstance(node, ast.MatchClass):
                sure.update(node.kwd_attrs)
            elif isinstance(node, ast.Import):
                sure.update((a.asname or a.name).split(".", 1)[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                sure.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))
            ):
                start, end = self.span(node)
                text = self.data[start:end].decode("utf-8", "replace")
                words = _WORD.findall(text)
                (maybe if isinstance(node, ast.JoinedStr) or "#" in text else sure).update(words)
        return sure, maybe

    # -- import statements --------------------------------------------------------------------------
    def snippets(self) -> dict[int, _Snippet]:
        """Every import statement a rule concerns, parsed alone, by id of its stdlib node."""
        in_try = {id(stmt) for stmt, inside in import_statements(self.tree) if inside}
        snippets: dict[int, _Snippet] = {}
        for plan in self.plans:
            for site in plan.sites:
                if id(site.stmt) not in snippets:
                    if id(site.stmt) in in_try:
                        raise Undecided("an import in a `try` (its fallback may become dead)")
                    snippets[id(site.stmt)] = self.snippet(site.stmt)
        return snippets

    def rewrite_statements(self, plan: _Rule, snippets: dict[int, _Snippet]) -> None:
        own = {id(site.stmt) for site in plan.sites}
        file_imports = self.module_imports(snippets)
        for key, snippet in snippets.items():
            found = import_sites(snippet.tree, plan.command.old, self.package)
            if not found:
                continue
            if key not in own or any((s.bound, s.local) not in plan.keys for s in found):
                raise Undecided("a rule reaches an import another rule wrote")
            by_stmt: dict[int, list[ImportSite]] = {}
            for site in found:
                by_stmt.setdefault(id(site.stmt), []).append(site)
            tree = snippet.tree.visit(_Rewriter(plan.command, by_stmt, file_imports))
            if tree is not snippet.tree:
                snippet.tree = tree
                snippet.lines = snippet.code().count("\n")

    def snippet(self, stmt: ast.Import | ast.ImportFrom) -> _Snippet:
        start = self.starts[stmt.lineno - 1]
        indent = self.data[start : self.offset(stmt.lineno, stmt.col_offset)]
        if indent.strip(b" \t"):
            raise Undecided("an import sharing its line with other code")
        if not _TAIL.match(self.data, self.offset(stmt.end_lineno or 0, stmt.end_col_offset or 0)):
            raise Undecided("code after an import on its line")
        end = self.line_end(stmt.end_lineno or 0)
        text = self.data[start:end].decode("utf-8")
        tree = cst.parse_module(f"if 1:\n{text}" if indent else text)
        return _Snippet(stmt, start, end, bool(indent), tree, text.count("\n"))

    def module_imports(self, snippets: dict[int, _Snippet]) -> set[str]:
        """What `top_level_imports` says of the whole file as the rules so far left it."""
        found: set[str] = set()
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Import) and id(stmt) not in snippets:
                found.update(a.name for a in stmt.names if a.asname is None)
        for snippet in snippets.values():
            if not snippet.indented:
                found |= top_level_imports(snippet.tree)
        return found

    def splice(self) -> str:
        out: list[bytes] = []
        at = 0
        for start, end, text in sorted(self.edits):
            if start < at:
                raise Undecided("two rewrites overlap")
            out += [self.data[at:start], text]
            at = end
        out.append(self.data[at:])
        return b"".join(out).decode("utf-8")

    # -- the leading import block, and the check ------------------------------------------------------
    def region_end(self) -> int:
        """Byte offset just past the original leading import region (0 when the file has none)."""
        count = _leading_region(self.tree.body, self.data, self.starts)
        return self.line_end(self.tree.body[count - 1].end_lineno or 0) if count else 0

    def place(self, new: str, before: set[str], cut: int) -> str:
        """`place_imports` over the leading import region only: only that region is parsed again (by the
        stdlib parser to find it, by libCST to move its imports)."""
        if not cut:
            return new
        if any(start < cut < end for start, end, _ in self.edits):
            raise Undecided("a rewrite straddles the end of the leading imports")
        cut += sum(len(text) - (end - start) for start, end, text in self.edits if end <= cut)  # in the new text
        data = new.encode("utf-8")
        try:
            head = ast.parse(data[:cut])
        except SyntaxError as error:
            raise Undecided("the leading imports do not parse after the rewrite") from error
        starts = [0, *(m.end() for m in re.finditer(rb"\n", data[:cut]))]
        count = _leading_region(head.body, data, starts)
        if not count:
            return new
        last = head.body[count - 1].end_lineno or 0
        cut = starts[last] if last < len(starts) else cut
        region = cst.parse_module(data[:cut].decode("utf-8"))
        placed = place_imports(region, before, self.first_party)
        return new if placed is region else placed.code + data[cut:].decode("utf-8")

    def before_codes(self) -> set[str]:
        """`import_codes` of the original file: the code of each module-level line holding one import."""
        body = self.tree.body
        codes = set()
        for index, stmt in enumerate(body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) and _alone(body, index):
                start, end = self.span(stmt)  # type: ignore[arg-type]
                codes.add(self.data[start:end].decode("utf-8"))
        return codes

    def check(self, new: str) -> str:
        """Every usage written resolves to its new target, by the stdlib reading of the new text."""
        if not self.inserted:
            return new
        tree = ast.parse(new)
        aliases = import_aliases(tree, self.package)
        heads = {text.split(".", 1)[0] for text, _ in self.inserted}
        if not Survey(heads).run(tree, aliases):
            raise Undecided("the rewritten file's scopes cannot be vouched for")
        for text, qualified in self.inserted:
            head = text.split(".", 1)[0]
            binders = [a for a in aliases if a.head == head]
            if len(binders) != 1:
                raise Undecided(f"`{head}` is bound {len(binders)} times after the rewrite")
            site = binders[0]
            good = (text == site.local or text.startswith(site.local + ".")) and (
                site.bound + text[len(site.local):] == qualified
            )
            if not good:
                raise Undecided(f"`{text}` would not resolve to {qualified}")
        return new


def _alone(body: list[ast.stmt], index: int) -> bool:
    """No other statement shares a line with body[index] (libCST then gives it a line of its own)."""
    stmt = body[index]
    before = index > 0 and (body[index - 1].end_lineno or 0) >= stmt.lineno
    after = index + 1 < len(body) and body[index + 1].lineno <= (stmt.end_lineno or 0)
    return not (before or after)


def _leading_region(body: list[ast.stmt], data: bytes, starts: list[int]) -> int:
    """How many statements `place_imports` takes as the leading import region: a docstring-like first line,
    then lines holding one import each."""
    count = 0
    for index, stmt in enumerate(body):
        if not _alone(body, index):
            if index == 0:
                raise Undecided("the first line holds several statements")
            break
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            end = starts[(stmt.end_lineno or 0) - 1] + (stmt.end_col_offset or 0)
            if not _TAIL.match(data, end):
                raise Undecided("a semicolon in the leading imports")
            count += 1
            continue
        value = getattr(stmt, "value", None)
        if index == 0 and isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes)):
            count += 1
            continue
        break
    return count
