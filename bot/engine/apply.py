"""Run a campaign's rules over files on every core; one bad file never stops the run.

`apply_rules` is pure (it reads the tree and returns new contents); `write_results`, at the bottom and
kept apart, is the one function that writes files.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.campaign.spec import Campaign, Rule
from bot.engine.codemods import needles, transform_source
from bot.engine.codemods.sections import first_party_packages
from bot.engine.plan import mentioning
from bot.engine.pool import Item as _Item
from bot.engine.pool import Progress, map_files
from bot.engine.results import FileResult, Finding, FindingKind, Outcome
from bot.engine.tree import DirectoryTree, LeftAlone, RepoTree, UnreadableFile, encode_source

log = logging.getLogger(__name__)


def apply_rules(campaign: Campaign, tree: RepoTree, paths: Sequence[str], *, jobs: int | None = None,
                user_root: str | Path | None = None, progress: Progress | None = None,
                sink: Callable[[FileResult], FileResult] | None = None) -> list[FileResult]:
    """One FileResult per path, in the order of `paths`.

    Files without any of the rules' needles come back UNCHANGED without being parsed. A file that cannot
    be read, parsed or transformed comes back FAILED with a finding; a symlink or a file over the size
    cap comes back SKIPPED with a warning; the others are unaffected. `sink` sees each transformed
    file's result as soon as it is ready and returns what to keep of it (the CLI writes the file then,
    and keeps no text: a large campaign never holds every new file at once).
    """
    results: dict[str, FileResult] = {}
    candidates: list[_Item] = []
    sizes: list[int] = []
    wanted = set(mentioning(tree, paths, needles(campaign.rules)))
    # with a sink and a tree on disk the workers read the files: this process never holds them all
    reader = tree if sink is not None and isinstance(tree, DirectoryTree) else None
    for path in paths:
        if reader is not None and path in wanted:
            candidates.append((path, ""))
            sizes.append(reader.size(path))
            continue
        read = _read(tree, path)
        if isinstance(read, FileResult):
            results[path] = read
        elif path in wanted:
            candidates.append((path, read))
            sizes.append(len(read))
        else:
            results[path] = FileResult(path, Outcome.UNCHANGED, read, read)
    root = str(user_root) if user_root is not None else None
    setup = (campaign.rules, root, first_party_packages(tree.paths(), _pyproject(tree)), reader)
    sources = dict(candidates)

    def arrived(path: str, slim: _Slim) -> FileResult:
        result = slim.result(path, sources.pop(path))
        return sink(result) if sink is not None else result

    done = map_files(_transform_one, setup, candidates, jobs=jobs, progress=progress, on_done=arrived, sizes=sizes)
    results.update(zip((path for path, _ in candidates), done, strict=True))
    return [results[path] for path in paths]


def _read(tree: RepoTree, path: str) -> str | FileResult:
    """The file's text, or its result when it cannot be read (FAILED) or is left alone (SKIPPED)."""
    try:
        return tree.read(path)
    except (OSError, UnreadableFile) as error:
        return _failed(path, "", FindingKind.PARSE_ERROR, str(error))
    except LeftAlone as error:  # a symlink, or over the size cap: listed, never read
        finding = Finding(path, 0, FindingKind.WARNING, "", f"left alone: {error.reason}")
        return FileResult(path, Outcome.SKIPPED, "", "", (finding,))


@dataclass(frozen=True)
class _Slim:
    """A file's result on its way back from a worker: the text only when it changed (the caller holds the
    old text), so a large campaign does not carry every file back and forth, or keep it twice."""

    outcome: Outcome
    new_source: str | None
    findings: tuple[Finding, ...]
    old_source: str | None = None  #: set when the worker read the file itself

    @classmethod
    def of(cls, result: FileResult, *, read_here: bool = False) -> _Slim:
        new = result.new_source if result.new_source != result.old_source else None
        return cls(result.outcome, new, result.findings, result.old_source if read_here else None)

    def result(self, path: str, source: str) -> FileResult:
        old = source if self.old_source is None else self.old_source
        return FileResult(path, self.outcome, old, old if self.new_source is None else self.new_source,
                          self.findings)


def _pyproject(tree: RepoTree) -> str | None:
    """The repository's pyproject.toml text (for isort's known-first-party), None when it has none."""
    try:
        return tree.read("pyproject.toml")
    except (OSError, KeyError, LeftAlone):
        return None


def _transform_one(setup: tuple[tuple[Rule, ...], str | None, frozenset[str], DirectoryTree | None], path: str,
                   source: str) -> _Slim:
    """The pool's work for one file: (rules, user root, first-party packages, the tree to read the file
    from when only its path came) reach every worker once."""
    rules, root, first_party, reader = setup
    if reader is not None:
        read = _read(reader, path)
        if isinstance(read, FileResult):
            return _Slim.of(read, read_here=True)
        source = read
    try:
        result = transform_source(path, source, rules, user_root=root, first_party=first_party)
    except Exception as error:  # the isolation edge: one file's crash is that file's result only
        log.exception("codemods crashed on %s", path)
        result = _failed(path, source, FindingKind.CODEMOD_ERROR, f"{type(error).__name__}: {error}")
    return _Slim.of(result, read_here=reader is not None)


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
