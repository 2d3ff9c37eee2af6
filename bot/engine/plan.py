"""Which files a campaign touches, grouped by category in rollout order, with their reference counts."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.campaign.globs import category_for
from bot.campaign.spec import Campaign, CodemodRule, MoveRule, RenameRule, Rule
from bot.engine.codemods import needles, rule_label, transform_source
from bot.engine.codemods.bindings import package_of
from bot.engine.pool import map_files
from bot.engine.references import find_references, quick_references, reference_lines
from bot.engine.tree import DirectoryTree, LeftAlone, RepoTree

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CategoryPlan:
    name: str
    priority: int
    files: tuple[str, ...]  #: sorted, repository-relative
    references: int  #: references to migrated names in those files


@dataclass(frozen=True)
class Plan:
    categories: tuple[CategoryPlan, ...]  #: every category of the campaign, in rollout order
    unassigned: tuple[str, ...]  #: files that mention a migrated name but match no category
    #: references in the unassigned files (not part of the JSON form)
    unassigned_references: int = 0
    #: files never read: symlinks, files over the size cap, undecodable candidates (not part of the JSON form)
    left_alone: tuple[str, ...] = ()

    def category(self, name: str) -> CategoryPlan:
        for category in self.categories:
            if category.name == name:
                return category
        raise KeyError(name)

    @property
    def references(self) -> int:
        """References left to migrate in the whole repository."""
        return sum(c.references for c in self.categories) + self.unassigned_references

    def to_json(self) -> dict[str, Any]:
        return {
            "categories": [
                {"name": c.name, "priority": c.priority, "files": list(c.files), "references": c.references}
                for c in self.categories
            ],
            "unassigned": list(self.unassigned),
        }


@dataclass(frozen=True)
class RuleCount:
    """What one rule matches in the tree: so a typo in a dotted name shows as 0, not as silence."""

    label: str  #: e.g. "move django.utils.functional.cached_property"
    files: int  #: files with at least one reference
    references: int
    counted: bool = True  #: False for a user codemod: nothing to count by name

    @property
    def matched_nothing(self) -> bool:
        return self.counted and self.references == 0


def _subject(rule: Rule) -> str | None:
    if isinstance(rule, CodemodRule):
        return None
    return rule.old.rpartition(".")[0] if isinstance(rule, RenameRule) else rule.old


def rule_counts(campaign: Campaign, tree: RepoTree, paths: Sequence[str] | None = None, *,
                jobs: int | None = None) -> tuple[RuleCount, ...]:
    """Files and references per rule (for `rename`, references to its class), in campaign order; one
    parse per candidate file for all the rules together, on every core. The stdlib parser settles most
    files; libCST's scope analysis settles the others."""
    subjects = [(rule, _subject(rule)) for rule in campaign.rules]
    names = sorted({s for _, s in subjects if s})
    files: dict[str, set[str]] = {name: set() for name in names}
    refs: dict[str, int] = dict.fromkeys(names, 0)
    last = tuple(sorted({name.rpartition(".")[2] for name in names}))
    candidates = mentioning(tree, tree.paths() if paths is None else paths, last) if names else []
    if isinstance(tree, DirectoryTree):  # the workers read the files: this process never holds them all
        sizes = [tree.size(path) for path in candidates]
        items = [(path, "") for path in candidates]
        found = zip(candidates, map_files(_reference_lines, (names, tree), items, jobs=jobs, sizes=sizes),
                    strict=True)
    else:
        items = []
        for path in candidates:
            try:
                items.append((path, tree.read(path)))
            except (OSError, LeftAlone):
                continue
        found = zip((path for path, _ in items), map_files(_reference_lines, (names, None), items, jobs=jobs),
                    strict=True)
    for path, lines in found:
        for _, name in lines:
            files[name].add(path)
            refs[name] += 1
    return tuple(
        RuleCount(rule_label(rule), len(files[s]), refs[s]) if s else RuleCount(rule_label(rule), 0, 0, False)
        for rule, s in subjects
    )


def _reference_lines(setup: tuple[Sequence[str], DirectoryTree | None], path: str,
                     source: str) -> list[tuple[int, str]]:
    """The pool's work for `rule_counts`: (line, name) per reference in one file, read here when the
    caller sent only its path."""
    names, tree = setup
    if tree is not None:
        try:
            source = tree.read(path)
        except (OSError, LeftAlone):
            return []
    return reference_lines(path, source, names)


def mentioning(tree: RepoTree, paths: Iterable[str], needles_: Sequence[str]) -> list[str]:
    """The paths whose bytes contain any needle: a substring test, no decode, no parse.

    With no needles (a rule that cannot name what it looks for) every path is a candidate.
    """
    if not needles_:
        return list(paths)
    encoded = [n.encode("utf-8") for n in needles_]
    found: list[str] = []
    for path in paths:
        try:
            data = tree.read_bytes(path)
        except (OSError, LeftAlone) as error:
            log.warning("cannot read %s: %s", path, error)
            continue
        if any(n in data for n in encoded):
            found.append(path)
    return found


def plan_campaign(campaign: Campaign, tree: RepoTree, *, user_root: str | Path | None = None,
                  jobs: int | None = None) -> Plan:
    """Files that mention a migrated name (references > 0, or the rules would change them), by category.

    A candidate that does not parse is listed with 0 references, so applying its category reports it.

    Cost grows with the candidate files, not the repository: only files passing the textual prefilter
    are decoded and parsed. Most are settled here by the stdlib parser (`quick_references`); the rest
    (libCST's scope analysis, or a dry run of the rules for campaigns with rules other than `move`, whose
    effect reference counting cannot see) go to every core through `pool.map_files`.
    """
    setup = _Setup(campaign, any(not isinstance(rule, MoveRule) for rule in campaign.rules), _root(tree, user_root))
    counts: dict[str, int] = {}
    slow: list[tuple[str, str]] = []
    left_alone: list[str] = []
    for path in mentioning(tree, tree.paths(), needles(campaign.rules)):
        try:
            source = tree.read(path)
        except (OSError, LeftAlone) as error:
            log.warning("cannot read %s: %s", path, error)
            left_alone.append(path)
            continue
        count = _quick_mentions(setup, path, source)
        if count == _SLOW:
            slow.append((path, source))
        elif count is not None:
            counts[path] = count
    for (path, _), count in zip(slow, map_files(_mentions, setup, slow, jobs=jobs), strict=True):
        if count is not None:
            counts[path] = count
    return replace(_group(campaign, counts), left_alone=tuple(sorted(left_alone + _refused(tree))))


def _refused(tree: RepoTree) -> list[str]:
    """Paths the tree will not read at all (symlinks, files over the size cap): listed in the plan."""
    refused = getattr(tree, "refused", None)
    return list(refused()) if refused is not None else []


@dataclass(frozen=True)
class _Setup:
    campaign: Campaign
    dry_run: bool  #: some rule is not a `move`: a file without references may still change
    root: str | None  #: where user codemods are imported from


_SLOW = -1  #: "only libCST can tell": the file goes to the pool


def _root(tree: RepoTree, user_root: str | Path | None) -> str | None:
    given = user_root if user_root is not None else getattr(tree, "root", None)
    return str(given) if given is not None else None


def _quick_mentions(setup: _Setup, path: str, source: str) -> int | None:
    """Reference count from the stdlib parser when that settles it; _SLOW when libCST must look."""
    names = setup.campaign.migrated_names
    found = quick_references(source, names, package_of(path)) if names else None
    if found is None:
        return _SLOW
    if found:
        return len(found)
    return _SLOW if setup.dry_run else None  # it parses (the stdlib parser just read it)


def _mentions(setup: _Setup, path: str, source: str) -> int | None:
    """Reference count of a candidate; None when the file does not take part in the campaign."""
    campaign = setup.campaign
    count = len(find_references(path, source, campaign.migrated_names)) if campaign.migrated_names else 0
    if count:
        return count
    if not _parses(source):
        return 0  # it mentions a migrated name and cannot be read further: apply will report it
    if setup.dry_run and transform_source(path, source, campaign.rules, user_root=setup.root).changed:
        return 0
    return None


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _group(campaign: Campaign, counts: dict[str, int]) -> Plan:
    files: dict[str, list[str]] = {c.name: [] for c in campaign.categories}
    unassigned: list[str] = []
    for path in sorted(counts):
        category = category_for(campaign, path)
        (files[category.name] if category else unassigned).append(path)
    categories = tuple(
        CategoryPlan(c.name, c.priority, tuple(files[c.name]), sum(counts[p] for p in files[c.name]))
        for c in campaign.categories
    )
    return Plan(categories, tuple(unassigned), sum(counts[p] for p in unassigned))
