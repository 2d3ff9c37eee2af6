"""Per-repository locks, so two workers never push the same repository's branches at once."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Protocol

import redis
import redis.lock
from redis.exceptions import LockError

from bot.forge.base import Retryable

log = logging.getLogger(__name__)

KEY_PREFIX = "migration-bot:lock:"
#: the lock's time to live; a live holder renews it every third of that, so a killed worker's lock
#: is free again within this many seconds while a long migration keeps it as long as it runs
LOCK_TIMEOUT_S = 60.0
#: how long a task waits for the lock before it gives the worker back and retries later
WAIT_S = 10.0
RETRY_AFTER_S = 30.0


class RepoLock(Protocol):
    def hold(self, repo: str) -> contextlib.AbstractContextManager[None]:
        """Held for the block; raises Retryable when another holder keeps it past the wait."""
        ...


def lock_key(repo: str) -> str:
    return f"{KEY_PREFIX}{repo}"


class RedisRepoLock:
    """A `redis.lock.Lock` per repository; it expires by itself if its holder dies."""

    def __init__(self, client: redis.Redis, *, timeout_s: float = LOCK_TIMEOUT_S, wait_s: float = WAIT_S) -> None:
        self._client = client
        self._timeout_s = timeout_s
        self._wait_s = wait_s

    @classmethod
    def from_url(cls, url: str, **kwargs: float) -> RedisRepoLock:
        return cls(redis.Redis.from_url(url), **kwargs)

    @contextlib.contextmanager
    def hold(self, repo: str) -> Iterator[None]:
        # not thread-local: the renewer thread must see the token the holder got
        lock = self._client.lock(lock_key(repo), timeout=self._timeout_s, blocking_timeout=self._wait_s,
                                 thread_local=False)
        try:
            acquired = lock.acquire()
        except redis.RedisError as error:
            raise Retryable(f"lock for {repo}: Redis unavailable ({type(error).__name__})", RETRY_AFTER_S) from None
        if not acquired:
            raise Retryable(f"{repo} is being migrated by another worker", after_s=RETRY_AFTER_S)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(lock, repo, stop), daemon=True,
                                   name=f"lock-renewer:{repo}")
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            try:
                lock.release()
            except (LockError, redis.RedisError):
                # expired while held: another worker may hold it now, and its lease-checked push protects us
                log.warning("repository lock expired before release", extra={"repo": repo})

    def _renew(self, lock: redis.lock.Lock, repo: str, stop: threading.Event) -> None:
        while not stop.wait(self._timeout_s / 3):
            try:
                lock.reacquire()
            except (LockError, redis.RedisError):
                log.warning("could not renew the repository lock", extra={"repo": repo})
                return


class ThreadRepoLock:
    """In-process locks for eager mode (the demo) where no Redis runs."""

    def __init__(self, wait_s: float = WAIT_S) -> None:
        self._wait_s = wait_s
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextlib.contextmanager
    def hold(self, repo: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(repo, threading.Lock())
        if not lock.acquire(timeout=self._wait_s):
            raise Retryable(f"{repo} is being migrated by another thread", after_s=RETRY_AFTER_S)
        try:
            yield
        finally:
            lock.release()
