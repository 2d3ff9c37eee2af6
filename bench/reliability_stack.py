"""The reliability run's real components: a private redis-server, the Procfile's processes under a small
supervisor that restarts what dies, and the fake GitHub over HTTP (REST and git smart HTTP) in App mode.

Everything listens on 127.0.0.1 only, lives under one run directory and is stopped by its own pid or
process group; nothing here touches a Redis or a process it did not start.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from tests.fake_github.openapi_check import rest_schemas, webhook_schemas  # noqa: E402
from tests.fake_github.server import FakeGitHub, _handler_for  # noqa: E402

SECRET = "reliability-webhook-secret"
APP_ID = 4242
#: the Procfile's Celery app, swapped for the test suite's copy of it (tests/integration/worker_app.py):
#: the same app and tasks, with the broker's visibility timeout and the repository lock's time to live
#: short enough that a killed worker's job comes back in seconds, not the production hour
WORKER_APP = "tests.integration.worker_app:app"
PRODUCTION_APP = "workers.celery_app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server on a fixed port (so clients reconnect after a restart), no persistence."""

    def __init__(self, run_dir: Path) -> None:
        self.port = free_port()
        self.dir = run_dir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("the reliability run needs redis-server: install the Debian package 'redis-server'")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@dataclass
class Proc:
    """One Procfile process (`worker.2` is the second of the `worker` formation)."""

    name: str
    command: str
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    def start(self) -> None:
        with self.log.open("ab") as out:
            # its own session: a SIGKILL of the whole node (main process and pool) is one killpg
            # the shell becomes the process: a line that sets things up first ends in its own `exec`
            command = self.command if " exec " in f" {self.command}" else "exec " + self.command
            self.popen = subprocess.Popen(["/bin/sh", "-c", command], cwd=PROJECT, env=self.env,
                                          stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def procfile(path: Path = PROJECT / "Procfile") -> dict[str, str]:
    entries = {}
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.startswith("#"):
            entries[name.strip()] = command.strip()
    return entries


def bench_command(name: str, command: str, index: int, run_dir: Path) -> str:
    """The Procfile's command with the run's port, node name and beat schedule file, and the worker app."""
    command = command.replace(f"-A {PRODUCTION_APP}", f"-A {WORKER_APP}")
    command = command.replace("/tmp/celerybeat-schedule", str(run_dir / "celerybeat-schedule"))
    if name == "worker":
        command += f" -n {name}{index}@%h --without-gossip --without-mingle"
    if name == "web":
        command = command.replace("0.0.0.0", "127.0.0.1")
    return command


class Supervisor:
    """Starts the Procfile's processes (`formation`: how many of each) and restarts any that dies,
    as systemd or a container orchestrator would. Stops each by its own process group."""

    def __init__(self, env: dict[str, str], run_dir: Path, formation: dict[str, int]) -> None:
        self.env, self.run_dir = env, run_dir
        self.procs: list[Proc] = []
        entries = procfile()
        for name, count in formation.items():
            for index in range(1, count + 1):
                command = bench_command(name, entries[name], index, run_dir)
                self.procs.append(Proc(f"{name}.{index}", command, env, run_dir / f"{name}.{index}.log"))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def start(self) -> Supervisor:
        for proc in self.procs:
            proc.start()
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(0.2):
            for proc in self.procs:
                if not proc.alive() and not self._stopping.is_set():
                    proc.restarts += 1
                    proc.start()

    def named(self, prefix: str) -> list[Proc]:
        return [p for p in self.procs if p.name.split(".")[0] == prefix]

    def kill_group(self, proc: Proc) -> None:
        """SIGKILL to the process and all it started (a lost node: main process, pool, git children)."""
        if proc.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        for proc in self.procs:
            if proc.alive() and proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs:
            assert proc.popen is not None
            try:
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill_group(proc)
                proc.popen.wait(5)

    def resize(self, name: str, count: int) -> None:
        """Stops or adds `name` processes so that `count` run (scenario 6: 1 worker, then 4)."""
        current = self.named(name)
        for proc in current[count:]:
            self.procs.remove(proc)
            if proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                assert proc.popen is not None
                proc.popen.wait(30)
        command = procfile()[name]
        for index in range(len(current) + 1, count + 1):
            proc = Proc(f"{name}.{index}", bench_command(name, command, index, self.run_dir), self.env,
                        self.run_dir / f"{name}.{index}.log")
            proc.start()
            self.procs.append(proc)


# -- which process made a request: /proc, so a kill lands on the job that is talking to GitHub ----------------
def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _descendants(roots: list[int]) -> dict[int, int]:
    """pid -> ppid for every live process under `roots` (roots included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = _ppid(int(entry.name))
            if ppid is not None:
                parents[int(entry.name)] = ppid
    keep = {pid: parents.get(pid, 0) for pid in roots if pid in parents}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in keep and pid not in keep:
                keep[pid] = ppid
                grew = True
    return keep


def _socket_inodes(port: int) -> set[str]:
    """Inodes of the TCP sockets whose local port is `port` (the client side of a loopback connection)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    found.add(fields[9])
    return found


def owner_of(port: int, roots: list[int]) -> list[int]:
    """The chain [requester, its parent, ... root] of the process under `roots` holding a socket on `port`."""
    inodes = {f"socket:[{inode}]" for inode in _socket_inodes(port)}
    tree = _descendants(roots)
    for pid in tree:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        chain = [pid]
                        while chain[-1] not in roots and chain[-1] in tree:
                            chain.append(tree[chain[-1]])
                        return chain
    return []


# -- the fake GitHub, with a hook on every request ------------------------------------------------------------
RequestHook = Callable[[str, tuple[str, int], str], None]  #: (phase "before"|"after", peer, operation)
_peer = threading.local()


class HookedLog(list):  # type: ignore[type-arg]
    """The fake's request log; an append is the moment a request's effect is done but not yet answered."""

    def __init__(self, fake: BenchGitHub) -> None:
        super().__init__()
        self.fake = fake

    def append(self, record: Any) -> None:
        super().append(record)
        if self.fake.hook is not None:
            self.fake.hook("after", getattr(_peer, "addr", ("", 0)), record.operation)


class BenchGitHub(FakeGitHub):
    """The suite's fake GitHub, started with a handler that remembers the requesting socket per thread,
    and a hook called before a REST request's effect (`faults.delay`) and after any request's effect."""

    hook: RequestHook | None = None

    def __init__(self, root: Path, app_public_key: str) -> None:
        super().__init__(root, rest_schemas(), webhook_schemas(), app_id=APP_ID, app_public_key=app_public_key)
        self.requests = HookedLog(self)
        delay = self.faults.delay

        def hooked_delay(operation: str) -> None:
            if self.hook is not None:
                self.hook("before", getattr(_peer, "addr", ("", 0)), operation)
            delay(operation)

        self.faults.delay = hooked_delay  # type: ignore[method-assign]

    def start(self) -> BenchGitHub:
        base = _handler_for(self)

        class Handler(base):  # type: ignore[valid-type,misc]
            def _serve(self) -> None:
                _peer.addr = self.client_address
                super()._serve()

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.api_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        threading.Thread(target=self._deliver_loop, daemon=True).start()
        return self


class _QuietServer(ThreadingHTTPServer):
    """A killed client's half-answered request is expected here, not an error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError) and type(error).__name__ != "Aborted":
            super().handle_error(request, client_address)


@dataclass
class Stack:
    """Redis, the fake GitHub, and web + workers + beat from the Procfile."""

    run_dir: Path
    workers: int = 2
    reconcile_s: int = 5
    visibility_s: int = 20
    redis: RedisServer = field(init=False)
    github: BenchGitHub = field(init=False)
    supervisor: Supervisor = field(init=False)
    web_port: int = field(init=False)
    env: dict[str, str] = field(init=False)  #: what every Procfile process was started with

    def start(self) -> Stack:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.redis = RedisServer(self.run_dir).start()
        self.github = BenchGitHub(self.run_dir / "github", public).start()
        self.web_port = free_port()
        workdir = self.run_dir / "clones"
        workdir.mkdir(exist_ok=True)
        metrics_dir = self.run_dir / "prometheus"
        metrics_dir.mkdir(exist_ok=True)
        env = {"PATH": os.environ["PATH"], "HOME": str(self.run_dir), "LANG": "C.UTF-8",
               "PYTHONPATH": str(PROJECT), "PORT": str(self.web_port), "WEB_CONCURRENCY": "2",
               "WORKER_CONCURRENCY": "1", "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_APP_ID": str(APP_ID),
               "GITHUB_PRIVATE_KEY": private, "GITHUB_API_URL": self.github.api_url, "REDIS_URL": self.redis.url,
               "MIGRATION_BOT_WORKDIR": str(workdir), "MIGRATION_BOT_RECONCILE_SECONDS": str(self.reconcile_s),
               "TEST_VISIBILITY_TIMEOUT_S": str(self.visibility_s), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        env["XDG_CACHE_HOME"] = str(self.run_dir / "cache")  # the repositories' venvs (bot.sandbox)
        self.env = env
        self.supervisor = Supervisor(env, self.run_dir, {"web": 1, "worker": self.workers, "beat": 1}).start()
        self.github.webhook_url = f"http://127.0.0.1:{self.web_port}/webhooks"
        self.github.webhook_secret = SECRET
        wait_http(self.web_port)
        return self

    def worker_roots(self) -> list[int]:
        return [p.pid for p in self.supervisor.named("worker") if p.pid is not None and p.alive()]

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.supervisor.stop()
        with contextlib.suppress(Exception):
            self.github.stop()
        self.redis.stop()


def wait_http(port: int, path: str = "/healthz", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}{path} after {timeout}s")


@contextlib.contextmanager
def running(run_dir: Path, **kwargs: Any) -> Iterator[Stack]:
    stack = Stack(run_dir, **kwargs).start()
    try:
        yield stack
    finally:
        stack.stop()


def log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


