"""Scenario 5 of the reliability run: hostile repositories. Each one's conftest.py attacks the worker while
its category's tests run (reads secrets, writes outside its clone, fork-bombs, fills the disk, runs
forever); a seed-shaped campaign runs beside them. The sandbox must hold: no secret in anything the bot
wrote, no file outside the clone, no process left, each hostile category gets one PR saying its tests did
not pass, the workers never restart, and the ordinary campaign is not slowed by more than the timeout."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from reliability_world import HUMAN, push_commit

from bot import markers
from tests.fake_github.state import Pull

if TYPE_CHECKING:
    from reliability import Bench, Row

TIMEOUT_S = 20  #: validate.timeout of the hostile campaigns (the short mode uses 10)
SLEEP_MARK = "31.4159"  #: the fork bomb's children run `sleep 31.4159`: found on the host afterwards, or not
CHUNK = "b'\\0' * (16 * 1024 * 1024)"

_PRELUDE = "import os, pathlib, sys, time\n\n\ndef pytest_sessionstart(session):\n"
ATTACKS = {
    "secrets": (
        "    hits = [k for k, v in os.environ.items() if 'ghs_' in v or 'PRIVATE KEY' in v or 'SECRET' in k]\n"
        "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n"
        "            text = pathlib.Path(f'/proc/{pid}/environ').read_bytes().decode(errors='replace')\n"
        "        except OSError:\n"
        "            continue\n"
        "        hits += [f'{pid}:' + p for p in text.split('\\0') if 'PRIVATE KEY' in p or 'SECRET' in p]\n"
        "    for path in {paths!r}:\n"
        "        try:\n"
        "            hits.append(pathlib.Path(path).read_text()[:200])\n"
        "        except OSError:\n"
        "            pass\n"
        "    print('HOSTILE-SAW:', hits)\n"
    ),
    "escape": (
        "    wrote = []\n"
        "    for path in {paths!r}:\n"
        "        try:\n"
        "            pathlib.Path(path).write_text('escaped')\n"
        "            wrote.append(path)\n"
        "        except OSError:\n"
        "            pass\n"
        "    print('HOSTILE-WROTE:', wrote)\n"
    ),
    "fork-bomb": (
        "    started = 0\n"
        "    for _ in range(1500):\n"
        "        try:\n"
        "            pid = os.fork()\n"
        "        except OSError:\n"
        "            break\n"
        "        if pid == 0:\n"
        f"            os.execv('/bin/sleep', ['sleep', '{SLEEP_MARK}'])\n"
        "        started += 1\n"
        "    print('HOSTILE-FORKED:', started)\n"
    ),
    "fill-disk": (
        "    written = 0\n"
        "    try:\n"
        "        with open('filler.bin', 'wb') as out:\n"
        "            while written < 3 * 1024**3:\n"
        f"                out.write({CHUNK})\n"
        "                out.flush()\n"
        "                written += 16 * 1024 * 1024\n"
        "    except OSError as error:\n"
        "        print('HOSTILE-STOPPED:', type(error).__name__)\n"
        "    print('HOSTILE-WRITTEN:', written)\n"
    ),
    "run-forever": "    time.sleep(10**6)\n",
}


def hostile_files(kind: str, paths: list[str]) -> dict[str, str]:
    return {
        "old_pkg/__init__.py": "", "old_pkg/engines.py": "class Engine:\n    speed = 1\n",
        "new_pkg/__init__.py": "", "new_pkg/engines.py": "class Engine:\n    speed = 1\n",
        "tests/__init__.py": "", "tests/unit/__init__.py": "",
        # passes before the migration and fails after it: a new failure, so the PR shows the output tail
        "tests/unit/test_engine.py": ("from old_pkg.engines import Engine\n\n\ndef test_engine():\n"
                                      "    assert Engine.__module__ == 'old_pkg.engines'\n"),
        "conftest.py": _PRELUDE + ATTACKS[kind].replace("{paths!r}", repr(paths)),
    }


def hostile_campaign(timeout_s: int) -> str:
    import json
    import sys
    import sysconfig

    pth = ("import pathlib,site,sys;pathlib.Path(site.getsitepackages()[0]).joinpath(sys.argv[1])"
           ".write_text(sys.argv[2])")
    setup = [f"{sys.executable} -m venv --without-pip {{venv}}",
             f"{{venv}}/bin/python -c \"{pth}\" outer.pth {sysconfig.get_paths()['purelib']}"]
    return "\n".join([
        "campaign: engine-move", "title: Move the engine", "rules:", "  - move: old_pkg.engines.Engine",
        "    to: new_pkg.engines.Engine", "categories:", '  - {name: unit, priority: 0, paths: ["tests/unit/**/*.py"]}',
        "validate:", '  tests: "python -m pytest -q -s -p no:cacheprovider {files}"', "  baseline: true",
        f"  timeout: {timeout_s}", "  setup:", *(f"    - {json.dumps(c)}" for c in setup),
        "rollout: {order: parallel, max_open: 1, automerge: true, required_checks: [ci]}",
    ]) + "\n"


def _leftover_sleepers() -> int:
    """Fork-bomb children still alive on the host (given a moment: a killed namespace empties at once)."""
    for _ in range(3):
        proc = subprocess.run(["pgrep", "-f", f"sleep {SLEEP_MARK}"], capture_output=True, text=True)
        if not proc.stdout.split():
            return 0
        time.sleep(1.0)
    return len(proc.stdout.split())


def scenario_hostile(bench: Bench, kinds: tuple[str, ...] = tuple(ATTACKS), timeout_s: int = TIMEOUT_S) -> Row:
    from reliability import Row, Trial

    row = Row("5 hostile repositories", baseline_s=bench.baseline_s)
    stack, fake = bench.stack, bench.fake
    secrets = [stack.env["GITHUB_PRIVATE_KEY"].splitlines()[1], stack.env["GITHUB_WEBHOOK_SECRET"]]
    tag = uuid.uuid4().hex[:8]
    targets = [str(stack.run_dir / f"escape-{tag}"), f"/tmp/reliability-escape-{tag}",
               str(Path(stack.env["MIGRATION_BOT_WORKDIR"]) / f"escape-{tag}"), f"/root/reliability-escape-{tag}"]
    restarts = sum(p.restarts for p in stack.supervisor.named("worker"))
    repos = {}
    for kind in kinds:
        bench.serial += 1
        repo = f"hostile/{kind}-{bench.serial}"
        paths = targets if kind == "escape" else [str(stack.run_dir / "prometheus"), "/etc/shadow"]
        fake.create_repo(repo, hostile_files(kind, paths))
        bench.ci.repos.add(repo)
        push_commit(fake, repo, "main", {".github/migrations/engine.yml": hostile_campaign(timeout_s)}, "Add campaign", HUMAN)
        repos[kind] = repo
    started = time.monotonic()
    ordinary = bench.run_trial("beside-hostile", timeout_s=240)
    deadline = time.monotonic() + 6 * timeout_s * 2 + 120
    while time.monotonic() < deadline and not all(_pull(bench, r) for r in repos.values()):
        time.sleep(1.0)
    bench.wait_quiet(60)
    for kind, repo in repos.items():
        pull = _pull(bench, repo)
        text = (pull.body if pull else "") + "".join(c.body for c in fake.comments(repo, pull.number)) if pull else ""
        leaked = [s for s in secrets if s and s in text]
        counts = {"unit": sum(1 for p in fake.pulls(repo) if markers.parse_branch(p.head))}
        status = _status(text)
        trial = Trial(pull is not None and status in ("failed", "not_run"), counts, 0, 0, 0, 0, 1,
                      bench.baseline_s, note=f"{kind}: tests {status}")
        if leaked:
            row.extra_failures.append(f"5 {kind}: a secret reached GitHub")
        if pull is not None and not pull.draft:
            row.extra_failures.append(f"5 {kind}: the PR is ready for review although its tests did not pass")
        if pull is not None and pull.merged:
            row.extra_failures.append(f"5 {kind}: merged")
        row.trials.append(trial)
        row.notes.append(f"{kind}: tests {status}; {_said(text)}")
    escaped = [t for t in targets if Path(t).exists()]
    if escaped:
        row.extra_failures.append(f"5 escape: files written outside the clone: {escaped}")
    if _leftover_sleepers():
        row.extra_failures.append(f"5 fork-bomb: {_leftover_sleepers()} processes outlived the sandbox")
    now_restarts = sum(p.restarts for p in stack.supervisor.named("worker"))
    if now_restarts != restarts:
        row.extra_failures.append(f"5: workers restarted {now_restarts - restarts} times")
    ordinary.note = "the ordinary campaign beside them"
    row.trials.append(ordinary)
    slowed = ordinary.seconds - bench.baseline_s
    row.notes.append(f"ordinary campaign beside them: {ordinary.seconds:.0f} s (fault-free {bench.baseline_s:.0f} s; "
                     f"allowed: the two {timeout_s} s timeouts (before and after) of each hostile category, shared by the "
                     f"workers, + 30 s); "
                     f"all done in {time.monotonic() - started:.0f} s; escaped files: {len(escaped)}; "
                     f"processes left: {_leftover_sleepers()}; worker restarts: {now_restarts - restarts}")
    if slowed > 2 * timeout_s * len(kinds) / max(1, len(stack.supervisor.named("worker"))) + 30:
        row.extra_failures.append(f"5: the ordinary campaign was slowed by {slowed:.0f} s")
    row.recover_s = [max(0.0, slowed)]
    return row


def _pull(bench: Bench, repo: str) -> Pull | None:
    pulls = [p for p in bench.fake.pulls(repo) if markers.parse_branch(p.head)]
    return pulls[0] if pulls else None


def _status(text: str) -> str:
    import re

    found = re.search(r"Status: \*\*(\w+)\*\*", text)
    return found.group(1) if found else "?"


def _said(text: str) -> str:
    import re

    lines = [line.strip()[:160] for line in text.splitlines() if "HOSTILE-" in line or "timed out" in line]
    return "; ".join(dict.fromkeys(lines)) or re.sub(r"\s+", " ", text[text.find("Status:"):][:160])
