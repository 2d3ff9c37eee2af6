"""transform_source: every rule of a campaign applied to one file, parsed once, never raising."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile
from libcst.metadata import MetadataWrapper

from bot.campaign.spec import CallRule, CodemodRule, MoveRule, RenameRule, Rule
from bot.engine.codemods.bindings import Relation, absolute_module, package_of, relation, split_path
from bot.engine.codemods.call import RemapCallCommand
from bot.engine.codemods.command import ANALYSED_KEY, FINDINGS_KEY, Note
from bot.engine.codemods.move import MoveNameCommand
from bot.engine.codemods.one_pass import move_in_one_pass
from bot.engine.codemods.rename import RenameMethodCommand
from bot.engine.codemods.sections import import_codes, place_imports
from bot.engine.codemods.usages import import_statements
from bot.engine.codemods.user import load_codemod
from bot.engine.results import FileResult, Finding, FindingKind, Outcome

log = logging.getLogger(__name__)

_ORDER = (CallRule, RenameRule, MoveRule, CodemodRule)


def rule_label(rule: Rule) -> str:
    """How findings name the rule they came from, e.g. "call pkg.mod.ExecutionEngine"."""
    if isinstance(rule, CodemodRule):
        return f"codemod {rule.target}"
    verb = {CallRule: "call", RenameRule: "rename", MoveRule: "move"}[type(rule)]
    return f"{verb} {rule.old}"


def _subject(rule: Rule) -> str:
    """The dotted path a file must import for the rule to concern it."""
    if isinstance(rule, RenameRule):
        return split_path(rule.old)[0]
    assert not isinstance(rule, CodemodRule)
    return rule.old


def needles(rules: Sequence[Rule]) -> tuple[str, ...]:
    """Substrings of which a file must contain one for `rules` to change it; () means "no prefilter"."""
    if any(isinstance(rule, CodemodRule) for rule in rules):
        return ()
    found = {split_path(rule.old)[1] for rule in rules if not isinstance(rule, CodemodRule)}
    return tuple(sorted(found))


def _imported_paths(tree: ast.Module, package: str | None = None) -> set[str]:
    """Dotted paths bound by imports anywhere in the file (relative ones resolved against `package`)."""
    paths: set[str] = set()
    for node, _ in import_statements(tree):
        if isinstance(node, ast.Import):
            paths.update(alias.name for alias in node.names)
        else:
            module = absolute_module(node.level, node.module, package) if node.level else node.module
            if module:
                paths.add(module)
                paths.update(f"{module}.{alias.name}" for alias in node.names)
    return paths


class _Words:
    """Every attribute name and string the file holds (scope analysis may read a string as an annotation):
    walked only when a rule asks about a word the file's text contains at all."""

    def __init__(self, tree: ast.Module, source: str) -> None:
        self.tree, self.source = tree, source
        self._words: set[str] | None = None

    def reach(self, step: str) -> bool:
        if step not in self.source:
            return False
        if self._words is None:
            self._words = set()
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Attribute):
                    self._words.add(node.attr)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    self._words.add(node.value)
        return step in self._words or any(f".{step}" in text for text in self._words)


def _reaches(path: str, subject: str, words: _Words) -> bool:
    """True when an import of `path` can lead to `subject` in this file: it is `subject` or inside it,
    or it holds `subject` and the next name on the way is read as an attribute somewhere (or appears
    in a string, which scope analysis may read as an annotation)."""
    rel = relation(path, subject)
    if rel is not Relation.HOLDS:
        return rel is not Relation.NONE
    return words.reach(subject[len(path) + 1 :].split(".", 1)[0])


def _concerned(tree: ast.Module | None, rules: Sequence[Rule], package: str | None = None,
               source: str = "") -> list[Rule]:
    """The rules that can change this file, in the order they run (call, rename, move, codemod)."""
    ordered = sorted(rules, key=lambda rule: _ORDER.index(type(rule)))
    if tree is None:
        return ordered  # the stdlib parser cannot tell: libCST decides
    paths, words = _imported_paths(tree, package), _Words(tree, source)
    return [
        rule for rule in ordered
        if isinstance(rule, CodemodRule) or any(_reaches(path, _subject(rule), words) for path in paths)
    ]


def _stdlib_parse(source: str) -> tuple[ast.Module | None, int]:
    """The stdlib tree, or None and the line of the syntax error (its line is the one people expect)."""
    try:
        return ast.parse(source), 0
    except SyntaxError as error:
        return None, error.lineno or 0
    except ValueError:
        return None, 0


def _command(rule: Rule, context: CodemodContext, user_root: str | None) -> Codemod:
    if isinstance(rule, CallRule):
        return RemapCallCommand(context, old=rule.old, params=rule.params, template=rule.template)
    if isinstance(rule, RenameRule):
        return RenameMethodCommand(context, old=rule.old, new=rule.new)
    if isinstance(rule, MoveRule):
        return MoveNameCommand(context, old=rule.old, new=rule.new, alias=rule.alias)
    codemod = load_codemod(rule.target, user_root)
    return codemod(context, **dict(rule.args))


def _moves_in_one_pass(path: str, source: str, box: list[ast.Module], rules: Sequence[Rule],
                       party: frozenset[str]) -> FileResult | None:
    """The one-pass result when every rule is a move and that pass can vouch for it; else None. The
    stdlib tree comes in a one-item list the pass empties (see `move_in_one_pass`)."""
    if not box or not all(isinstance(rule, MoveRule) for rule in rules):
        return None
    done = move_in_one_pass(path, source, box, rules, party)  # type: ignore[arg-type]
    if done is None:
        return None
    new_source, notes = done
    findings = tuple(Finding(path, n.line, n.kind, n.rule, n.message) for n in notes)
    return FileResult(path, Outcome.CHANGED if new_source != source else Outcome.UNCHANGED, source, new_source,
                      findings)


def transform_source(
    path: str, source: str, rules: Sequence[Rule], *, user_root: str | None = None,
    first_party: Iterable[str] = (), one_pass: bool = True,
) -> FileResult:
    """Apply `rules` to one file's text. Never raises on ordinary input: a file that does not parse or
    a codemod that crashes gives FAILED (file untouched), SkipFile gives SKIPPED, otherwise CHANGED or
    UNCHANGED, with the findings a human must look at. A rewritten module-level import goes to its
    isort section; `first_party` names the repository's own top-level packages (the file's own counts).

    When every rule concerned is a move, `move_in_one_pass` does them all in one stdlib pass; where it
    cannot vouch for the result (or with `one_pass=False`) each rule is its own libCST pass."""
    def result(outcome: Outcome, new: str = source, findings: Sequence[Finding] = ()) -> FileResult:
        return FileResult(path, outcome, source, new, tuple(findings))

    tree, error_line = _stdlib_parse(source)
    concerned = _concerned(tree, rules, package_of(path), source)
    if not concerned:
        return result(Outcome.UNCHANGED)
    own = (package_of(path) or "").split(".", 1)[0]
    party = frozenset({*first_party, *([own] if own else [])})
    box = [tree] if tree is not None else []
    del tree  # the one pass lets the stdlib tree go before it parses the new text
    done = _moves_in_one_pass(path, source, box, concerned, party) if one_pass else None
    if done is not None:
        return done
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        line = error_line or error.raw_line
        return result(Outcome.FAILED, findings=[Finding(path, line, FindingKind.PARSE_ERROR, "", str(error))])
    original = module
    context = CodemodContext(filename=path)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    for rule in concerned:
        label = rule_label(rule)
        try:
            command = _command(rule, replace(context, wrapper=wrapper), user_root)
            before = len(context.warnings)
            updated = command.transform_module(module)
        except SkipFile as skip:
            return result(Outcome.SKIPPED, findings=[Finding(path, 0, FindingKind.SKIPPED, label, str(skip) or "skipped")])
        except Exception as error:  # a codemod must not stop the category
            log.warning("codemod failed", extra={"path": path, "rule": label, "error": repr(error)})
            message = f"{type(error).__name__}: {error}"
            return result(Outcome.FAILED, findings=[Finding(path, 0, FindingKind.CODEMOD_ERROR, label, message)])
        if isinstance(rule, CodemodRule):
            context.scratch.setdefault(FINDINGS_KEY, []).extend(
                Note(FindingKind.WARNING, 0, label, text) for text in context.warnings[before:]
            )
        analysed = context.scratch.pop(ANALYSED_KEY, None)
        if updated is not module:
            module = updated
            if isinstance(analysed, MetadataWrapper) and analysed.module is module:
                wrapper = analysed  # the command's own check analysed this tree already
            else:
                wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    findings = [Finding(path, n.line, n.kind, n.rule, n.message) for n in context.scratch.get(FINDINGS_KEY, [])]
    if module is not original:
        module = place_imports(module, import_codes(original), party)
    new_source = module.code
    return result(Outcome.CHANGED if new_source != source else Outcome.UNCHANGED, new_source, findings)
