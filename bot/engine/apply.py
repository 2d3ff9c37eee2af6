"""Run a campaign's rules over files on every core; one bad file never stops the run.

`apply_rules` is pure (it reads the tree and returns new contents); `write_results`, at the bottom and
kept apart, is the one function that writes files.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.campaign.spec import Campaign, Rule
from bot.engine.codemods import needles, transform_source
from bot.engine.codemods.sections import first_party_packages
from bot.engine.plan import mentioning
from bot.engine.pool import Item as _Item
from bot.engine.pool import Progress, map_files
from bot.engine.results import FileResult, Finding, FindingKind, Outcome
from bot.engine.tree import LeftAlone, RepoTree, UnreadableFile, encode_source

log = logging.getLogger(__name__)


def apply_rules(campaign: Campaign, tree: RepoTree, paths: Sequence[str], *, jobs: int | None = None,
                user_root: str | Path | None = None, progress: Progress | None = None) -> list[FileResult]:
    """One FileResult per path, in the order of `paths`.

    Files without any of the rules' needles come back UNCHANGED without being parsed. A file that cannot
    be read, parsed or transformed comes back FAILED with a finding; a symlink or a file over the size
    cap comes back SKIPPED with a warning; the others are unaffected.
    """
    results: dict[str, FileResult] = {}
    candidates: list[_Item] = []
    wanted = set(mentioning(tree, paths, needles(campaign.rules)))
    for path in paths:
        try:
            source = tree.read(path)
        except (OSError, UnreadableFile) as error:
            results[path] = _failed(path, "", FindingKind.PARSE_ERROR, str(error))
            continue
        except LeftAlone as error:  # a symlink, or over the size cap: listed, never read
            finding = Finding(path, 0, FindingKind.WARNING, "", f"left alone: {error.reason}")
            results[path] = FileResult(path, Outcome.SKIPPED, "", "", (finding,))
            continue
        if path in wanted:
            candidates.append((path, source))
        else:
            results[path] = FileResult(path, Outcome.UNCHANGED, source, source)
    root = str(user_root) if user_root is not None else None
    setup = (campaign.rules, root, first_party_packages(tree.paths(), _pyproject(tree)))
    for (path, source), slim in zip(candidates, map_files(_transform_one, setup, candidates, jobs=jobs,
                                                          progress=progress), strict=True):
        results[path] = slim.result(path, source)
    return [results[path] for path in paths]


@dataclass(frozen=True)
class _Slim:
    """A file's result on its way back from a worker: the text only when it changed (the caller holds the
    old text), so a large campaign does not carry every file back and forth, or keep it twice."""

    outcome: Outcome
    new_source: str | None
    findings: tuple[Finding, ...]

    @classmethod
    def of(cls, result: FileResult) -> _Slim:
        return cls(result.outcome, result.new_source if result.new_source != result.old_source else None,
                   result.findings)

    def result(self, path: str, source: str) -> FileResult:
        return FileResult(path, self.outcome, source, source if self.new_source is None else self.new_source,
                          self.findings)


def _pyproject(tree: RepoTree) -> str | None:
    """The repository's pyproject.toml text (for isort's known-first-party), None when it has none."""
    try:
        return tree.read("pyproject.toml")
    except (OSError, KeyError, LeftAlone):
        return None


def _transform_one(setup: tuple[tuple[Rule, ...], str | None, frozenset[str]], path: str, source: str) -> _Slim:
    """The pool's work for one file: (rules, user root, first-party packages) reach every worker once."""
    rules, root, first_party = setup
    try:
        return _Slim.of(transform_source(path, source, rules, user_root=root, first_party=first_party))
    except Exception as error:  # the isolation edge: one file's crash is that file's result only
        log.exception("codemods crashed on %s", path)
        return _Slim.of(_failed(path, source, FindingKind.CODEMOD_ERROR, f"{type(error).__name__}: {error}"))


def _failed(path: str, source: str, kind: FindingKind, message: str) -> FileResult:
    return FileResult(path, Outcome.FAILED, source, source, (Finding(path, 0, kind, "", message),))


# --- effects -------------------------------------------------------------------------------------------


def write_results(root: str | Path, results: Sequence[FileResult]) -> list[str]:
    """Writes every CHANGED result under `root` (in the file's declared encoding); returns the paths written."""
    written: list[str] = []
    for result in results:
        if not result.changed:
            continue
        target = Path(root) / result.path
        tmp = target.with_name(f".{target.name}.migration-bot.tmp")
        tmp.write_bytes(encode_source(result.new_source))
        shutil.copymode(target, tmp)
        os.replace(tmp, target)
        written.append(result.path)
    return written
