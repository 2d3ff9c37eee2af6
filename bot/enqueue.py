"""Publishing Jobs to the Celery broker from the web process: Celery's own messages over a reused producer.

``app.send_task`` costs ~0.8 ms of CPU per message on the Redis broker, four times a whole bare request.
Most of it is avoidable without leaving Celery's protocol:

- kombu's Redis channel builds a new ``redis.Redis`` for every publish (``conn_or_acquire`` ->
  ``_create_client``; redis-py 8 fills a ~170-entry callback table in each constructor), ~0.35 ms.
  ``_ReusedClientChannel`` keeps one client per channel, holding one connection of the stock pool.
- ``send_task`` re-routes, looks the task up, acquires a pooled producer and ``saferepr``s the arguments.
  A Job already names its queue and its kwargs are a few ids, so the message is built with
  ``app.amqp.create_task_message`` (argsrepr from plain ``repr``) and sent with ``app.amqp.send_task_message``
  over one producer per thread, whose connection lives as long as the thread.

The messages are the ones ``send_task`` would publish (same headers, body and properties; a real worker
consumes them), under the app's publish retry policy; broker trouble raises ``kombu.exceptions.OperationalError``
or a ``redis.RedisError``. Brokers other than ``redis://`` and eager apps go through the stock ``send_task``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from celery import Celery
from celery.utils import uuid
from celery.utils.nodenames import anon_nodename
from kombu import Connection, Producer
from kombu.transport import redis as redis_transport

from workers.contract import Job

__all__ = ["FAST_SCHEMES", "Publisher", "publisher_for"]

#: broker URL schemes the reused-client transport serves; anything else takes the stock path
FAST_SCHEMES = frozenset({"redis"})


class _ReusedClientChannel(redis_transport.Channel):
    """kombu's Redis channel with one synchronous client for its life instead of one per command.

    The client is built like the stock ``_create_client`` (same pool, key prefix, credentials) and holds one
    pooled connection (``single_connection_client``), which skips the pool's checkout, liveness poll and
    return on every command. A Publisher gives each thread its own connection, hence its own channel.
    """

    @cached_property
    def _sync_client(self) -> Any:
        options: dict[str, Any] = {"connection_pool": self.pool, "single_connection_client": True}
        credential_provider = self.pool.connection_kwargs.get("credential_provider")
        if credential_provider is not None:
            options["credential_provider"] = credential_provider
        return self.Client(**options)

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        yield client or self._sync_client

    def close(self) -> None:
        super().close()
        sync_client = self.__dict__.pop("_sync_client", None)
        if sync_client is not None:
            sync_client.close()  # hands its connection back to the pool the stock close disconnected


class _ReusedClientTransport(redis_transport.Transport):
    Channel = _ReusedClientChannel


@dataclass(frozen=True)
class _ThreadProducer:
    producer: Producer
    origin: str  #: the ``origin`` header send_task would compute per message ("gen<pid>@<host>")
    declared: set[str]  #: queue names declared on this producer's connection


class Publisher:
    """Sends Jobs for one Celery app; share one per process (``publisher_for``), it is thread-safe.

    Each thread gets its own kombu connection and producer on first use (kombu producers are not meant to
    be shared between threads); they live as long as the thread, so no publish pays for a connect.
    """

    def __init__(self, celery: Celery) -> None:
        self.celery = celery
        self.fast = _broker_scheme(celery) in FAST_SCHEMES and not celery.conf.task_always_eager
        self._local = threading.local()

    def publish(self, jobs: Sequence[Job]) -> list[str]:
        """Put each job's message on its queue, in order; the task ids. Raises on broker trouble (after the
        app's ``task_publish_retry_policy``), leaving earlier jobs of `jobs` published."""
        if not self.fast:
            return [self._send_stock(job) for job in jobs]
        thread = self._thread()
        try:
            return [self._send(thread, job) for job in jobs]
        except Exception:
            # kombu's retries may leave the producer on a closed channel; like the stock producer pool,
            # which replaces a connection that saw an error, start this thread afresh next time.
            self._local.producer = None
            with suppress(Exception):
                thread.producer.connection.collect()
            raise

    def _send(self, thread: _ThreadProducer, job: Job) -> str:
        amqp, task_id, kwargs = self.celery.amqp, uuid(), dict(job.kwargs)
        message = amqp.create_task_message(
            task_id,
            job.task,
            (),
            kwargs,
            reply_to=self.celery.thread_oid,
            ignore_result=True,
            origin=thread.origin,
            argsrepr="()",
            kwargsrepr=repr(kwargs)[: amqp.kwargsrepr_maxsize],
        )
        # Celery declares the queue on every publish, answered from a per-connection cache after the first;
        # declaring once per producer skips two kombu entity copies per message.
        declare = [] if job.queue in thread.declared else None
        with thread.producer.connection._reraise_as_library_errors():
            amqp.send_task_message(thread.producer, job.task, message, queue=job.queue, declare=declare)
        thread.declared.add(job.queue)
        return task_id

    def _send_stock(self, job: Job) -> str:
        # The web side never reads results: ignore_result skips subscribing to the result backend.
        result = self.celery.send_task(job.task, kwargs=dict(job.kwargs), queue=job.queue, ignore_result=True)
        return result.id

    def _thread(self) -> _ThreadProducer:
        """This thread's producer, made on first use; it connects lazily, on its first publish."""
        mine: _ThreadProducer | None = getattr(self._local, "producer", None)
        if mine is None:
            connection: Connection = self.celery.connection_for_write(transport=_ReusedClientTransport)
            producer = self.celery.amqp.Producer(connection, auto_declare=False)
            mine = _ThreadProducer(producer, anon_nodename(), set())
            self._local.producer = mine
        return mine


def _broker_scheme(celery: Celery) -> str:
    url = celery.conf.broker_write_url or celery.conf.broker_url or ""
    return url.partition("://")[0] if "://" in url else ""


_publishers: weakref.WeakKeyDictionary[Celery, Publisher] = weakref.WeakKeyDictionary()
_publishers_lock = threading.Lock()


def publisher_for(celery: Celery) -> Publisher:
    """The process-wide Publisher of `celery`, made on first use (after gunicorn forks, so per worker)."""
    publisher = _publishers.get(celery)
    if publisher is None:
        with _publishers_lock:
            publisher = _publishers.setdefault(celery, Publisher(celery))
    return publisher
