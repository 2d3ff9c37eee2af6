"""A real Redis database for a test, emptied before and after.

No Redis is an error, never a skip: `.ci/run` starts a server when none answers on 127.0.0.1:6379.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis


@contextmanager
def flushed_db(url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(url)
    client.ping()  # raises ConnectionError naming the address when no server answers
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@contextmanager
def key_prefix(url: str, label: str) -> Iterator[str]:
    """A unique key prefix (e.g. a broker's `global_keyprefix`) whose keys are deleted afterwards."""
    prefix = f"{label}-{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()
