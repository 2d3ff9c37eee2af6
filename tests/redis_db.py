"""A private `redis-server` for the whole test session, and helpers over its databases.

The suite never touches a Redis it did not start: the first call to `private_url` starts one on a free
port with no persistence, and `stop_private_server` (the session's last hook) stops it. No `redis-server`
binary is an error naming the Debian package, never a skip; `.ci/run` installs it when missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

_server: subprocess.Popen[bytes] | None = None
_port: int | None = None
_dir: tempfile.TemporaryDirectory[str] | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start() -> int:
    global _server, _port, _dir
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("the tests need redis-server on PATH: install the Debian package 'redis-server'")
    _dir = tempfile.TemporaryDirectory(prefix="migration-bot-redis-")
    for _ in range(5):  # another process may take the free port between the probe and the bind
        port = _free_port()
        _server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", _dir.name, "--databases", "16"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if _wait_for(port):
            _port = port
            return port
        _server.kill()
        _server.wait()
    raise RuntimeError("could not start a private redis-server")


def _wait_for(port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2)
    try:
        for _ in range(100):
            if _server is not None and _server.poll() is not None:
                return False
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                time.sleep(0.05)
        return False
    finally:
        client.close()


def private_url(db: int = 0) -> str:
    """URL of database `db` on the session's private server, started on first use."""
    port = _port if _port is not None else _start()
    return f"redis://127.0.0.1:{port}/{db}"


def stop_private_server() -> None:
    global _server, _port, _dir
    if _server is not None:
        _server.terminate()
        try:
            _server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _server.kill()
            _server.wait()
    if _dir is not None:
        _dir.cleanup()
    _server, _port, _dir = None, None, None


@contextmanager
def flushed_db(url: str) -> Iterator[redis.Redis]:
    """A database of the private server, emptied before and after (never call it on another server)."""
    client = redis.Redis.from_url(url)
    client.ping()
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
