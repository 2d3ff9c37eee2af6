"""Run a campaign's rules over files on every core; one bad file never stops the run.

`apply_rules` is pure (it reads the tree and returns new contents); `write_results`, at the bottom and
kept apart, is the one function that writes files.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from bot.campaign.spec import Campaign, Rule
from bot.engine.codemods import needles, transform_source
from bot.engine.plan import mentioning
from bot.engine.results import FileResult, Finding, FindingKind, Outcome
from bot.engine.tree import RepoTree, UnreadableFile, encode_source

log = logging.getLogger(__name__)

#: below this many candidate files the pool's start-up costs more than it saves
SERIAL_BELOW = 8
#: chunks per worker: small enough to balance big and small files, large enough to amortise pickling
CHUNKS_PER_WORKER = 8

Progress = Callable[[int, int], None]  #: (files done, files in total)
_Item = tuple[str, str]  #: (path, source)


def apply_rules(campaign: Campaign, tree: RepoTree, paths: Sequence[str], *, jobs: int | None = None,
                user_root: str | Path | None = None, progress: Progress | None = None) -> list[FileResult]:
    """One FileResult per path, in the order of `paths`.

    Files without any of the rules' needles come back UNCHANGED without being parsed. A file that cannot
    be read, parsed or transformed comes back FAILED with a finding; the others are unaffected.
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
        if path in wanted:
            candidates.append((path, source))
        else:
            results[path] = FileResult(path, Outcome.UNCHANGED, source, source)
    root = str(user_root) if user_root is not None else None
    for result in _transform_all(campaign.rules, candidates, jobs, root, progress):
        results[result.path] = result
    return [results[path] for path in paths]


def _transform_all(rules: tuple[Rule, ...], items: list[_Item], jobs: int | None, root: str | None,
                   progress: Progress | None) -> list[FileResult]:
    workers = min(jobs or os.cpu_count() or 1, max(1, len(items)))
    if workers <= 1 or len(items) < SERIAL_BELOW or multiprocessing.current_process().daemon:
        return _serial(rules, items, root, progress)
    done: dict[str, FileResult] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                 initializer=_init_worker, initargs=(rules, root)) as pool:
            futures = [pool.submit(_transform_chunk, chunk) for chunk in _chunks(items, workers)]
            for future in as_completed(futures):
                done.update((result.path, result) for result in future.result())
                if progress:
                    progress(len(done), len(items))
    except BrokenProcessPool:
        rest = [item for item in items if item[0] not in done]
        log.warning("a worker process died; finishing the remaining %d files in this process", len(rest))
        done.update((result.path, result) for result in _serial(rules, rest, root, None))
    return [done[path] for path, _ in items]


def _serial(rules: tuple[Rule, ...], items: list[_Item], root: str | None,
            progress: Progress | None) -> list[FileResult]:
    out: list[FileResult] = []
    for path, source in items:
        out.append(_transform_one(rules, path, source, root))
        if progress:
            progress(len(out), len(items))
    return out


def _chunks(items: list[_Item], workers: int) -> list[list[_Item]]:
    """Largest files first, grouped into chunks of about equal size: the big files start early and
    alone, the small ones travel together (longest-processing-time-first scheduling)."""
    ordered = sorted(items, key=lambda item: len(item[1]), reverse=True)
    target = sum(len(source) for _, source in items) / (workers * CHUNKS_PER_WORKER)
    chunks: list[list[_Item]] = [[]]
    size = 0
    for item in ordered:
        if chunks[-1] and size >= target:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item[1])
    return chunks


def _context() -> multiprocessing.context.BaseContext:
    """fork where it is safe and cheap (Linux): the workers inherit libcst already imported."""
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


_worker_rules: tuple[Rule, ...] = ()
_worker_root: str | None = None


def _init_worker(rules: tuple[Rule, ...], root: str | None) -> None:
    global _worker_rules, _worker_root
    _worker_rules, _worker_root = rules, root


def _transform_chunk(chunk: list[_Item]) -> list[FileResult]:
    return [_transform_one(_worker_rules, path, source, _worker_root) for path, source in chunk]


def _transform_one(rules: tuple[Rule, ...], path: str, source: str, root: str | None) -> FileResult:
    try:
        return transform_source(path, source, rules, user_root=root)
    except Exception as error:  # the isolation edge: one file's crash is that file's result only
        log.exception("codemods crashed on %s", path)
        return _failed(path, source, FindingKind.CODEMOD_ERROR, f"{type(error).__name__}: {error}")


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
