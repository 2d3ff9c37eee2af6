"""Per-file work on every core: one process pool helper shared by apply and plan.

The work is a module-level function `work(setup, path, source)`; `setup` (the rules, the campaign...) is
handed to each worker once, the files travel in size-balanced chunks. Serial below a threshold, with one
core, or inside a daemon process (a Celery prefork child cannot have children). A worker that dies only
costs the files it held: they are finished in this process.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

#: below this many files the pool's start-up costs more than it saves (for libCST-sized work per file)
SERIAL_BELOW = 8
#: chunks per worker: small enough to balance big and small files, large enough to amortise pickling
CHUNKS_PER_WORKER = 8

T = TypeVar("T")
Item = tuple[str, str]  #: (path, source)
Work = Callable[[Any, str, str], T]  #: (setup, path, source) -> the file's result
Progress = Callable[[int, int], None]  #: (files done, files in total)


def map_files(work: Work[T], setup: Any, items: Sequence[Item], *, jobs: int | None = None,
              progress: Progress | None = None, serial_below: int = SERIAL_BELOW,
              sizes: Sequence[int] | None = None, on_done: Callable[[str, T], Any] | None = None) -> list[Any]:
    """`work(setup, path, source)` for every item, in the order of `items` (paths must be unique).
    `sizes` weigh the items for chunking when the sources travel empty (the work reads each file);
    `on_done(path, result)` sees each result as it arrives, and what it returns is kept in its place (so
    a caller can act on a result and drop what it no longer needs before the others arrive)."""
    keep: Callable[[str, T], Any] = on_done or (lambda _, result: result)
    workers = min(jobs or os.cpu_count() or 1, max(1, len(items)))
    if workers <= 1 or len(items) < serial_below or multiprocessing.current_process().daemon:
        return [keep(path, result) for (path, _), result in zip(items, _serial(work, setup, items, progress),
                                                                strict=True)]
    done: dict[str, Any] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                 initializer=_init_worker, initargs=(work, setup)) as pool:
            pending = {pool.submit(_run_chunk, chunk) for chunk in _chunks(items, workers, sizes)}
            while pending:  # not as_completed: it keeps every future, and so every result, to the end
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done.update((path, keep(path, result)) for path, result in future.result())
                del finished, future
                if progress:
                    progress(len(done), len(items))
    except BrokenProcessPool:
        rest = [item for item in items if item[0] not in done]
        log.warning("a worker process died; finishing the remaining %d files in this process", len(rest))
        done.update((path, keep(path, result))
                    for (path, _), result in zip(rest, _serial(work, setup, rest, None), strict=True))
    return [done[path] for path, _ in items]


def _serial(work: Work[T], setup: Any, items: Sequence[Item], progress: Progress | None) -> list[T]:
    out: list[T] = []
    for path, source in items:
        out.append(work(setup, path, source))
        if progress:
            progress(len(out), len(items))
    return out


def _chunks(items: Sequence[Item], workers: int, sizes: Sequence[int] | None = None) -> list[list[Item]]:
    """Largest files first, grouped into chunks of about equal size: the big files start early and
    alone, the small ones travel together (longest-processing-time-first scheduling)."""
    weights = list(sizes) if sizes is not None else [len(source) for _, source in items]
    ordered = sorted(zip(items, weights, strict=True), key=lambda pair: pair[1], reverse=True)
    target = sum(weights) / (workers * CHUNKS_PER_WORKER)
    chunks: list[list[Item]] = [[]]
    size = 0
    for item, weight in ordered:
        if chunks[-1] and size >= target:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += weight
    return chunks


def _context() -> multiprocessing.context.BaseContext:
    """A started fork server where `start_server` ran (workers then hold only the modules, never the
    files the caller read: a forked child's memory starts as its parent's); else fork where it is safe
    and cheap (Linux: the workers inherit libcst already imported)."""
    if _server_started:
        return multiprocessing.get_context("forkserver")
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


_server_started = False


def start_server(modules: Sequence[str]) -> None:
    """Starts the fork server now, importing `modules` there while the caller goes on reading files, so
    pool workers start small and at once. For a command that reads a whole tree and then maps over it."""
    global _server_started
    if sys.platform != "linux" or multiprocessing.current_process().daemon:
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(modules))
    from multiprocessing import forkserver

    forkserver.ensure_running()
    _server_started = True
    atexit.register(_stop_server)


def _stop_server() -> None:
    """Waits for the fork server at exit, so its workers count in this process's children (their CPU
    time and memory show in `getrusage(RUSAGE_CHILDREN)` like those of a forked pool's)."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)  # CPython's own, used by its test suite
    if stop is not None:
        stop()


_worker_work: Work[Any] | None = None
_worker_setup: Any = None


def _init_worker(work: Work[Any], setup: Any) -> None:
    global _worker_work, _worker_setup
    _worker_work, _worker_setup = work, setup


def _run_chunk(chunk: list[Item]) -> list[tuple[str, Any]]:
    assert _worker_work is not None
    return [(path, _worker_work(_worker_setup, path, source)) for path, source in chunk]
