"""The only module that runs a repository's code (its tests, its setup, its codemods).

On a worker that code is hostile until proven otherwise: it runs under bubblewrap in new user, PID,
network, IPC and UTS namespaces, with a cleared environment, the system and the bot's runtime read-only,
only the clone (at /repo), its venv (at /venv) and a private tmpfs HOME/TMPDIR visible, a hard wall-clock
timeout that kills the whole sandbox, CPU/memory/process limits and a cap on the output kept. The bot's
key file, its workdir and other tasks' clones are never mounted.

Locally (the CLI, the demo) the user's own checkout is trusted: `PlainRunner` runs the same argv as a
subprocess in a process group of its own, with a cleaned environment and the same timeout and caps.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

MODE_BWRAP = "bwrap"
MODE_NONE = "none"
MODES = (MODE_BWRAP, MODE_NONE)
NO_SANDBOX = "no sandbox on this worker"
BWRAP_PACKAGE = "bubblewrap"  #: the Debian package that ships bwrap

REPO_MOUNT = "/repo"  #: where the clone is seen inside the sandbox
VENV_MOUNT = "/venv"  #: where the repository's venv is seen inside the sandbox
OUT_MOUNT = "/out"  #: a writable folder for reports (JUnit XML) read back by the bot
CODE_MOUNT = "/bot-code"
SANDBOX_ID = "1000"  #: the uid/gid inside: not root there, no capabilities (mapped to the worker's own uid)  #: the bot's own package, read-only, for the codemod child
OUTPUT_CAP = 256 * 1024  #: bytes of output kept (the tail)
MEMORY_LIMIT = 4 * 1024**3  #: address space per process, bytes
PROCESS_LIMIT = 512
FILE_SIZE_LIMIT = 1024**3
#: dependency files whose content decides whether a cached venv still fits
DEPENDENCY_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock")
_REQUIREMENTS = re.compile(r"^requirements[^/]*\.txt$")
#: what the sandbox sees of the host's /etc: enough for TLS, DNS (setup only) and user names
_ETC = ("ssl", "ca-certificates", "pki", "resolv.conf", "hosts", "nsswitch.conf", "passwd", "group",
        "localtime", "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "pip.conf", "xdg/pip")
#: the operator's package-index settings, passed to setup commands only (network on), never to tests;
#: a value carrying credentials (user:password@ in a URL) is dropped
SETUP_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT", "PIP_TRUSTED_HOST",
                   "PIP_DEFAULT_TIMEOUT", "PIP_CONSTRAINT", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL",
                   "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY",
                   "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
_CREDENTIALS = re.compile(r"://[^/\s]*@")
_SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/opt")


@dataclass(frozen=True)
class RunResult:
    """One command's run: `started` False when it could not start (the reason is in `output`)."""

    exit_code: int
    output: str  #: stdout and stderr together, capped to the tail
    timed_out: bool = False
    started: bool = True
    seconds: float = 0.0


@dataclass(frozen=True)
class Mounts:
    """What the command sees besides the system: the repository, its venv, an output folder."""

    repo: Path
    venv: Path | None = None
    out: Path | None = None
    venv_writable: bool = False
    code: Path | None = None  #: the folder holding the `bot` package (its parent), read-only


class Runner(Protocol):
    """Runs argv (paths as seen by the command: use `paths()`) with a hard timeout; never raises."""

    mode: str

    def run(self, argv: Sequence[str], mounts: Mounts, timeout: float, *, network: bool = False,
            env: Mapping[str, str] | None = None) -> RunResult: ...

    def paths(self, mounts: Mounts) -> Mounts: ...


@dataclass(frozen=True)
class PlainRunner:
    """The user's own checkout, trusted: a plain subprocess (its own process group), same caps."""

    mode: str = "plain subprocess"

    def paths(self, mounts: Mounts) -> Mounts:
        return mounts

    def run(self, argv: Sequence[str], mounts: Mounts, timeout: float, *, network: bool = False,
            env: Mapping[str, str] | None = None) -> RunResult:
        home = Path(tempfile.mkdtemp(prefix="migration-bot-home-"))
        try:
            environment = _environment(mounts.venv, home, extra=env)
            environment["PATH"] = environment["PATH"] + ":" + os.environ.get("PATH", "/usr/bin:/bin")
            return _spawn(list(argv), mounts.repo, environment, timeout)
        finally:
            shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class BwrapRunner:
    """bubblewrap: new user/PID/net/IPC/UTS namespaces, cleared environment, read-only system."""

    bwrap: str = "/usr/bin/bwrap"
    mode: str = MODE_BWRAP
    runtime: tuple[str, ...] = field(default_factory=lambda: _runtime_paths())

    def paths(self, mounts: Mounts) -> Mounts:
        return Mounts(Path(REPO_MOUNT), Path(VENV_MOUNT) if mounts.venv else None,
                      Path(OUT_MOUNT) if mounts.out else None, mounts.venv_writable,
                      Path(CODE_MOUNT) if mounts.code else None)

    def run(self, argv: Sequence[str], mounts: Mounts, timeout: float, *, network: bool = False,
            env: Mapping[str, str] | None = None) -> RunResult:
        command = [*self.wrap(mounts, network=network, env=env), *argv]
        return _spawn(command, mounts.repo, None, timeout)

    def wrap(self, mounts: Mounts, *, network: bool, env: Mapping[str, str] | None = None) -> list[str]:
        """The bwrap argv up to (not including) the command."""
        args = [self.bwrap, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
                "--hostname", "sandbox", "--uid", SANDBOX_ID, "--gid", SANDBOX_ID]
        if not network:
            args.append("--unshare-net")
        for path in _SYSTEM:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for name in _ETC:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home",
                 "--bind", str(mounts.repo), REPO_MOUNT]
        for path in self.runtime:  # after the private /tmp: the bot's venv may live under /tmp
            args += ["--ro-bind", path, path]
        if mounts.venv is not None:
            args += ["--bind" if mounts.venv_writable else "--ro-bind", str(mounts.venv), VENV_MOUNT]
        if mounts.out is not None:
            args += ["--bind", str(mounts.out), OUT_MOUNT]
        if mounts.code is not None:
            args += ["--ro-bind", str(mounts.code / "bot"), f"{CODE_MOUNT}/bot"]
        for key, value in _environment(Path(VENV_MOUNT) if mounts.venv else None, Path("/tmp/home"),
                                       extra=env).items():
            args += ["--setenv", key, value]
        return [*args, "--chdir", REPO_MOUNT]


@dataclass(frozen=True)
class NoSandbox:
    """A worker with no usable sandbox: nothing from the repository runs."""

    reason: str = NO_SANDBOX
    mode: str = "unavailable"

    def paths(self, mounts: Mounts) -> Mounts:
        return mounts

    def run(self, argv: Sequence[str], mounts: Mounts, timeout: float, *, network: bool = False,
            env: Mapping[str, str] | None = None) -> RunResult:
        return RunResult(-1, self.reason, started=False)


# --- choosing the runner -------------------------------------------------------------------------------

_configured: dict[str, str] = {"mode": MODE_BWRAP, "cache": ""}


def configure(mode: str, venv_cache: Path | None = None) -> None:
    """The worker's sandbox mode (`MIGRATION_BOT_SANDBOX`): bwrap (default) or none (trusted installs),
    and where the repositories' venvs are cached (default: the user's cache folder)."""
    if mode not in MODES:
        raise ValueError(f"sandbox mode must be one of {', '.join(MODES)}, got {mode!r}")
    _configured["mode"] = mode
    _configured["cache"] = str(venv_cache) if venv_cache is not None else ""


def venv_cache() -> Path:
    """Where repositories' venvs are kept, one folder per setup key."""
    if _configured["cache"]:
        return Path(_configured["cache"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "migration-bot" / "venvs"


def local_runner(sandboxed: bool) -> Runner:
    """The CLI's and the demo's runner: a plain subprocess, or (opted in) bwrap / NoSandbox."""
    if not sandboxed:
        return PlainRunner()
    problem = bwrap_problem()
    return BwrapRunner() if problem is None else NoSandbox(f"{NO_SANDBOX}: {problem}")


def worker_runner() -> Runner:
    """The runner for a worker's clones: bwrap when usable, a plain subprocess when the operator chose
    `none`, else NoSandbox (tests not_run, codemod rules fail)."""
    if _configured["mode"] == MODE_NONE:
        return PlainRunner(mode="none (MIGRATION_BOT_SANDBOX=none: repository code runs unsandboxed)")
    problem = bwrap_problem()
    return BwrapRunner() if problem is None else NoSandbox(f"{NO_SANDBOX}: {problem}")


def describe_mode() -> str:
    """One line for the start-up log and /healthz."""
    runner = worker_runner()
    if isinstance(runner, NoSandbox):
        return runner.reason
    return runner.mode


def bwrap_problem(bwrap: str | None = None) -> str | None:
    """None when bwrap exists and can make the namespaces; else why not (naming the package)."""
    path = bwrap or shutil.which("bwrap")
    if path is None or not os.access(path, os.X_OK):
        return f"bwrap not found (install the Debian package {BWRAP_PACKAGE!r})"
    probe = BwrapRunner(bwrap=path, runtime=())
    with tempfile.TemporaryDirectory(prefix="migration-bot-probe-") as tmp:
        result = _spawn([*probe.wrap(Mounts(Path(tmp)), network=False), "/bin/sh", "-c", "exit 0"],
                        Path(tmp), None, 20)
    if result.exit_code != 0:
        return f"bwrap cannot create namespaces (user namespaces off?): {result.output.strip()[-300:]}"
    return None


# --- user codemods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxedCodemods:
    """The codemod runner of bot.engine.codemods.user: one request (a file's text) per sandboxed child,
    JSON files in and out; the bot's process never imports the repository's code."""

    runner: Runner
    repo: Path
    timeout: float = 120

    def __call__(self, request: dict[str, object]) -> dict[str, object]:
        if isinstance(self.runner, NoSandbox):
            return {"error": self.runner.reason}
        out = Path(tempfile.mkdtemp(prefix="migration-bot-codemod-"))
        try:
            (out / "request.json").write_text(json.dumps(request), encoding="utf-8")
            mounts = Mounts(self.repo, out=out, code=_bot_source())
            inner = self.runner.paths(mounts)
            argv = [sys.executable, "-P", "-m", "bot.engine.codemods.user", f"{inner.out}/request.json",
                    f"{inner.out}/reply.json", str(inner.repo)]
            result = self.runner.run(argv, mounts, self.timeout, env={"PYTHONPATH": str(inner.code)})
            try:
                reply = json.loads((out / "reply.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                why = "timed out" if result.timed_out else f"exit {result.exit_code}"
                return {"error": f"the codemod gave no answer ({why}): {result.output.strip()[-500:]}"}
            return reply if isinstance(reply, dict) else {"error": "the codemod's answer is not an object"}
        finally:
            shutil.rmtree(out, ignore_errors=True)


def _bot_source() -> Path:
    """The folder holding the `bot` package this process runs."""
    return Path(__file__).resolve().parent.parent


# --- the repository's environment ----------------------------------------------------------------------


def default_setup(repo: Path) -> tuple[str, ...]:
    """pytest, plus the repository itself (editable) when it is installable."""
    commands = ["python -m venv {venv}", "{venv}/bin/python -m pip install --quiet pytest"]
    if (repo / "pyproject.toml").is_file() or (repo / "setup.py").is_file():
        commands.append("{venv}/bin/python -m pip install --quiet -e .")
    for path in sorted(repo.glob("requirements*.txt")):
        commands.append(f"{{venv}}/bin/python -m pip install --quiet -r {path.name}")
    return tuple(commands)


def setup_key(commands: Sequence[str], repo: Path, kind: str = "") -> str:
    """Hash of the setup commands and the dependency files (and the runner's kind: a sandboxed venv
    lives at /venv, a plain one at its own path): the cache key of the venv."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode() + b"\0" + kind.encode())
    for command in commands:
        digest.update(b"cmd\0" + command.encode() + b"\0")
    names = [n for n in DEPENDENCY_FILES if (repo / n).is_file()]
    names += sorted(p.name for p in repo.iterdir() if p.is_file() and _REQUIREMENTS.match(p.name))
    for name in names:
        digest.update(b"file\0" + name.encode() + b"\0" + (repo / name).read_bytes())
    return digest.hexdigest()[:24]


@dataclass(frozen=True)
class Environment:
    """The repository's venv (None when setup failed) and, when it failed, why."""

    venv: Path | None
    problem: str = ""
    output: str = ""


def prepare_environment(runner: Runner, repo: Path, setup: Sequence[str] | None, cache: Path,
                        timeout: float) -> Environment:
    """The venv made by `setup` (default: `default_setup`), cached under `cache` by `setup_key`.

    Setup runs once per key with the network on, through `runner` (so in the sandbox on a worker);
    `{venv}` in a command is the venv's path as the command sees it. A failed setup is not cached.
    """
    commands = tuple(setup) if setup is not None else default_setup(repo)
    key = setup_key(commands, repo, type(runner).__name__)
    venv = cache / key
    if (venv / ".ready").is_file():
        return Environment(venv)
    if isinstance(runner, NoSandbox):
        return Environment(None, runner.reason)
    cache.mkdir(parents=True, exist_ok=True)
    in_place = runner.paths(Mounts(repo, venv)).venv == venv  # a plain venv records its own path
    if in_place:
        shutil.rmtree(venv, ignore_errors=True)
        venv.mkdir()
        building = venv
    else:
        building = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=cache))
    mounts = Mounts(repo, building, venv_writable=True)
    seen_venv = str(runner.paths(mounts).venv)
    output: list[str] = []
    index = setup_environment()
    for command in commands:
        argv = [a.replace("{venv}", seen_venv) for a in shlex.split(command)]
        result = runner.run(argv, mounts, timeout, network=True, env=index)
        output.append(f"$ {command}\n{result.output}")
        if not result.started or result.timed_out or result.exit_code != 0:
            shutil.rmtree(building, ignore_errors=True)
            why = "timed out" if result.timed_out else f"exit {result.exit_code}"
            return Environment(None, f"setup command {command!r} failed ({why})", "\n".join(output))
    (building / ".ready").write_text(key, encoding="utf-8")
    if not in_place:
        try:
            building.rename(venv)
        except OSError:  # another task built it first
            shutil.rmtree(building, ignore_errors=True)
    log.info("repository environment ready", extra={"venv": str(venv), "mode": runner.mode})
    return Environment(venv)


def setup_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The package-index variables of `SETUP_VARIABLES` set in the bot's environment, without credentials."""
    source = os.environ if environ is None else environ
    return {k: source[k] for k in SETUP_VARIABLES if source.get(k) and not _CREDENTIALS.search(source[k])}


# --- the process itself --------------------------------------------------------------------------------


def _environment(venv: Path | None, home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A cleared environment: no variable of the bot's reaches the command."""
    path = f"{Path(sys.base_prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin"
    if venv is not None:
        path = f"{venv}/bin:{path}"
    env = {"PATH": path, "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONUNBUFFERED": "1"}
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
    env.update(extra or {})
    return env


def _limits(cpu_seconds: int) -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_LIMIT, PROCESS_LIMIT))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _spawn(argv: list[str], cwd: Path, env: dict[str, str] | None, timeout: float) -> RunResult:
    """Runs argv in a new session; on timeout kills its whole process group (and so the sandbox)."""
    started = time.monotonic()
    cpu = int(timeout) * 2 + 10
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env if env is not None else {}, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=lambda: _limits(cpu))  # noqa: PLW1509
        except OSError as error:
            return RunResult(-1, f"cannot run {argv[0]!r}: {error.strerror or error}", started=False)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc.pid)
            proc.wait()
        out.seek(0, os.SEEK_END)
        size = out.tell()
        out.seek(max(0, size - OUTPUT_CAP))
        text = out.read().decode("utf-8", "replace")
    return RunResult(proc.returncode, text, timed_out=timed_out, seconds=time.monotonic() - started)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _runtime_paths() -> tuple[str, ...]:
    """The interpreter the bot runs on (its prefix), read-only: tests and setup may use `python`."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    return tuple(sorted(p for p in paths if not any(p.startswith(s + "/") or p == s for s in _SYSTEM)))
