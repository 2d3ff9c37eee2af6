"""A real Redis database for a test, emptied before and after.

No Redis is an error, never a skip: `.ci/run` starts a server when none answers on 127.0.0.1:6379.
"""

from __future__ import annotations

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
