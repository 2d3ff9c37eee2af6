"""The per-repository lock on a real Redis: exclusive, renewed while held, free again when a holder dies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from bot.forge.base import Retryable
from tests.redis_db import private_url
from workers.locks import RedisRepoLock, ThreadRepoLock, lock_key

REDIS_URL = private_url(14)
REPO = "acme/app"


@pytest.fixture()
def client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # no Redis is an error, never a skip: .ci/run starts one
    client.delete(lock_key(REPO))
    yield client
    client.delete(lock_key(REPO))
    client.close()


def test_a_second_holder_gets_retryable(client: redis.Redis) -> None:
    lock = RedisRepoLock(client, timeout_s=5, wait_s=0.2)
    with lock.hold(REPO):
        assert client.exists(lock_key(REPO))
        with pytest.raises(Retryable) as caught, lock.hold(REPO):
            pass
        assert caught.value.after_s > 0
    assert not client.exists(lock_key(REPO))
    with lock.hold(REPO):  # released: free again
        pass


def test_a_live_holder_keeps_the_lock_past_its_ttl(client: redis.Redis) -> None:
    lock = RedisRepoLock(client, timeout_s=0.6, wait_s=0.1)
    with lock.hold(REPO):
        time.sleep(1.5)  # two and a half TTLs: only the renewals keep it
        with pytest.raises(Retryable), lock.hold(REPO):
            pass


def test_a_dead_holders_lock_expires(client: redis.Redis) -> None:
    client.lock(lock_key(REPO), timeout=0.5).acquire()  # taken and never renewed, like a killed worker
    with RedisRepoLock(client, timeout_s=5, wait_s=2).hold(REPO):
        pass


def test_thread_lock_is_exclusive() -> None:
    lock = ThreadRepoLock(wait_s=0.1)
    inside = threading.Event()
    leave = threading.Event()

    def holder() -> None:
        with lock.hold(REPO):
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    inside.wait(5)
    with pytest.raises(Retryable), lock.hold(REPO):
        pass
    with lock.hold("other/repo"):
        pass
    leave.set()
    thread.join()
    with lock.hold(REPO):
        pass
