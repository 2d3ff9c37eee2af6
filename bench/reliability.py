"""Reliability run: whole campaigns through the real components while workers are SIGKILLed, GitHub fails,
Redis is flushed and restarted, humans push to bot branches and load arrives; one table, exit 1 on any loss.

The stack (bench/reliability_stack.py): a private redis-server, the Procfile's `web` (gunicorn), `worker`
(2 nodes by default) and `beat` under a small supervisor that restarts what dies, and the fake GitHub of the
test suite over HTTP with git smart HTTP, in GitHub App mode. Campaigns (bench/reliability_world.py) run
on the demo's seed-shaped sample repository; a CI thread turns each PR head green, the bot merges
(automerge), regenerates the other open PRs on the new base and moves on until every category is merged.

Each trial is judged on GitHub's state only: every category has exactly one PR, main's category folders are
byte-identical to a fault-free run's (nothing lost), every human commit is still on its branch or on main
(none overwritten) and, where the bot refused to push, the PR says so.

    python bench/reliability.py [--seed N] [--short] [--kills 20] [--scenarios 1,2,3,4,6]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from reliability_stack import Stack, owner_of  # noqa: E402
from reliability_world import (  # noqa: E402
    CATEGORIES,
    CI,
    Campaign,
    campaign_text,
    sample_files,
    use_categories,
)

from bot import markers  # noqa: E402
from workers.jobs.migrate import HUMAN_COMMITS_CONCERN  # noqa: E402

CAMPAIGN_TIMEOUT_S = 150.0


class Aborted(Exception):
    """Raised in the fake's handler thread after a 'before' kill: the dead client's request never happens."""


@dataclass
class Trial:
    finished: bool
    per_category: dict[str, int]
    lost: int  #: category folders on main that differ from the fault-free run, plus human commits gone
    overwritten: int
    refused_wrongly: int
    rest_calls: int
    pulls: int
    seconds: float
    unsaid: int = 0  #: refusals to push over a human commit that the PR does not mention
    refusals: int = 0  #: the bot's HumanCommitsFound results for this campaign's PRs
    note: str = ""


@dataclass
class Row:
    scenario: str
    trials: list[Trial] = field(default_factory=list)
    baseline_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    extra_failures: list[str] = field(default_factory=list)
    fixed: list[str] | None = None  #: cells of a row that is not made of campaign trials (load)
    recover_s: list[float] | None = None  #: when the trials' own durations are not the recovery measure

    def failures(self) -> list[str]:
        out = list(self.extra_failures)
        for i, t in enumerate(self.trials, 1):
            problems = []
            if not t.finished:
                problems.append("campaign not finished")
            if set(t.per_category.values()) != {1}:
                problems.append(f"PRs per category {t.per_category}")
            if t.lost:
                problems.append(f"{t.lost} lost")
            if t.overwritten:
                problems.append(f"{t.overwritten} human commits overwritten")
            if t.refused_wrongly:
                problems.append(f"{t.refused_wrongly} deliveries refused wrongly")
            if t.unsaid:
                problems.append(f"{t.unsaid} refusals not said on the PR")
            if problems:
                out.append(f"{self.scenario} trial {i}: " + ", ".join(problems) + (f" ({t.note})" if t.note else ""))
        return out

    def cells(self) -> list[str]:
        if self.fixed is not None:
            return self.fixed
        ts = self.trials
        counts = sorted({n for t in ts for n in t.per_category.values()})
        pulls = sum(t.pulls for t in ts)
        rest = f"{sum(t.rest_calls for t in ts) / pulls:.1f}" if pulls else "-"
        delays = self.recover_s if self.recover_s is not None else [
            max(0.0, t.seconds - self.baseline_s) for t in ts if t.finished]
        recover = (f"{statistics.median(delays):.1f} / {max(delays):.1f}" if delays else "-")
        return [self.scenario, str(len(ts)), f"{sum(t.finished for t in ts)}/{len(ts)}",
                "-".join(map(str, counts)) if counts else "-", str(sum(t.lost for t in ts)),
                str(sum(t.overwritten for t in ts)), str(sum(t.refused_wrongly for t in ts)), rest, recover]


COLUMNS = ["scenario", "trials", "campaigns finished", "PRs per category", "commits lost",
           "human commits overwritten", "deliveries refused wrongly", "REST calls per PR",
           "time to recover s (median / max)"]


class Bench:
    """The running stack plus what every trial is judged against (a fault-free campaign)."""

    def __init__(self, stack: Stack, rng: random.Random) -> None:
        self.stack, self.rng = stack, rng
        self.fake = stack.github
        self.files = sample_files()
        self.ci = CI(self.fake).start()
        self.serial = 0
        self.baseline_s = 0.0
        self.baseline_trees: dict[str, str] = {}
        self.baseline_requests: dict[str, int] = {}
        self.outage: list[tuple[int, int]] = []
        self.log_offsets: dict[Path, int] = {}  #: where each process log stood when the current trial began  #: delivery index ranges sent while Redis was down

    def new_campaign(self, label: str, text: str | None = None) -> Campaign:
        self.serial += 1
        repo = f"octo/{label}-{self.serial}"
        self.fake.create_repo(repo, self.files)
        self.ci.repos.add(repo)
        campaign = Campaign(self.fake, repo)
        campaign.start(text or campaign_text())
        return campaign

    def trees(self, campaign: Campaign) -> dict[str, str]:
        git = self.fake.repo(campaign.repo).bare
        return {name: subprocess.run(["git", "--git-dir", str(git), "rev-parse", f"main:{folder.rstrip('/')}"],
                                     capture_output=True, text=True).stdout.strip()
                for name, folder in CATEGORIES.items()}

    def run_trial(self, label: str, during: Callable[[Campaign], None] | None = None,
                  text: str | None = None, timeout_s: float = CAMPAIGN_TIMEOUT_S) -> Trial:
        requests_at, deliveries_at = len(self.fake.requests), len(self.fake.deliveries)
        self.log_offsets = {p.log: p.log.stat().st_size for p in self.stack.supervisor.procs if p.log.exists()}
        campaign = self.new_campaign(label, text)
        if during is not None:
            during(campaign)
        deadline = time.monotonic() + timeout_s
        while not campaign.finished() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.wait_quiet()
        return self.judge(campaign, requests_at, deliveries_at)

    def wait_quiet(self, timeout_s: float = 30.0) -> None:
        """Until the broker's queues are empty and webhooks are delivered (so trials do not overlap)."""
        client = self.stack.redis.client()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.fake.wait_webhooks(5)
            with contextlib.suppress(Exception):
                if not client.llen("events") and not client.llen("migrations") and not client.hlen("unacked"):
                    return
            time.sleep(0.3)

    def judge(self, campaign: Campaign, requests_at: int, deliveries_at: int) -> Trial:
        finished = campaign.finished()
        seconds = (campaign.finished_at or time.monotonic()) - campaign.started
        trees = self.trees(campaign)
        lost = sum(trees[c] != self.baseline_trees[c] for c in CATEGORIES) if finished else 0
        lost += len(campaign.lost_human_commits())
        # what GitHub charges: REST answers other than 304 (a conditional read that found nothing new is free)
        rest = [r for r in self.fake.requests[requests_at:] if r.operation != f"{r.method} git" and r.status != 304]
        refused = 0
        for index, delivery in enumerate(self.fake.deliveries[deliveries_at:], deliveries_at):
            if delivery.status not in (200, 202) and not any(a <= index < b for a, b in self.outage):
                refused += 1
        refusals, unsaid = self.refusals(campaign)
        return Trial(finished, campaign.pulls_per_category(), lost, len(campaign.overwritten_human_commits()),
                     refused, len(rest), len(campaign.bot_pulls()), seconds, unsaid=unsaid, refusals=refusals)

    def refusals(self, campaign: Campaign) -> tuple[int, int]:
        """PRs where the bot refused to push over a human commit (HumanCommitsFound in a worker's task
        result), and how many of those PRs carry no human-commits comment."""
        numbers = set()
        for path, offset in self.log_offsets.items():
            with path.open("rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
            numbers |= {int(n) for n in re.findall(r"'result': 'HumanCommitsFound'.*?'number': (\d+)", text)}
        marker = markers.comment_marker(HUMAN_COMMITS_CONCERN)
        numbers &= set(campaign.bot_pulls())
        return len(numbers), sum(not any(marker in c.body for c in self.fake.comments(campaign.repo, n))
                                 for n in numbers)

    def calibrate(self) -> Row:
        """A fault-free campaign: its duration, main's category trees and request counts are the yardstick."""
        counter = Counter()

        def count(phase: str, peer: tuple[str, int], operation: str) -> None:
            counter[phase] += 1

        self.fake.hook = count
        requests_at, deliveries_at = len(self.fake.requests), len(self.fake.deliveries)
        campaign = self.new_campaign("baseline")
        deadline = time.monotonic() + CAMPAIGN_TIMEOUT_S
        while not campaign.finished() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.wait_quiet()
        self.fake.hook = None
        if not campaign.finished():
            raise RuntimeError("the fault-free campaign did not finish; see the logs in " + str(self.stack.run_dir))
        self.baseline_trees = self.trees(campaign)
        self.baseline_requests = dict(counter)
        trial = self.judge(campaign, requests_at, deliveries_at)
        self.baseline_s = trial.seconds
        row = Row("0 baseline (no faults)", [trial], baseline_s=trial.seconds)
        row.notes.append(f"fault-free campaign {trial.seconds:.1f} s, {counter['after']} requests to GitHub")
        return row


# -- scenario 1: SIGKILL ---------------------------------------------------------------------------------------
class KillAt:
    """Kills the worker process behind the k-th request of `phase` ('before' a REST request's effect, or
    'after' any request's effect and before its answer): its pool child, or the whole node."""

    def __init__(self, stack: Stack, k: int, phase: str, mode: str) -> None:
        self.stack, self.k, self.phase, self.mode = stack, k, phase, mode
        self.seen = 0
        self.killed: tuple[float, str] | None = None
        self.job = "?"  #: the task the killed process was running, from its node's log

    def __call__(self, phase: str, peer: tuple[str, int], operation: str) -> None:
        if self.killed is not None or phase != self.phase:
            return
        self.seen += 1
        if self.seen < self.k:
            return
        chain = owner_of(peer[1], self.stack.worker_roots())
        if len(chain) < 2:
            return  # beat's or the web's request, or a node's main process: the next worker request counts
        self.job = self._running_task(chain[-1])
        with contextlib.suppress(ProcessLookupError):
            if self.mode == "node":
                os.killpg(chain[-1], signal.SIGKILL)
            else:
                os.kill(chain[-2], signal.SIGKILL)
        self.killed = (time.monotonic(), operation)
        if phase == "before":
            raise Aborted(operation)


    def _running_task(self, node_pid: int) -> str:
        """With one pool process and prefetch 1, the node's last task received is the one running."""
        for proc in self.stack.supervisor.named("worker"):
            if proc.pid == node_pid and proc.log.exists():
                with proc.log.open("rb") as log:
                    log.seek(max(0, proc.log.stat().st_size - 200_000))
                    tail = log.read().decode(errors="replace")
                found = re.findall(r"Task (?:workers\.tasks\.)?(\w+)\[[^\]]+\] received", tail)
                return found[-1] if found else "?"
        return "?"


def scenario_kills(bench: Bench, trials: int) -> Row:
    row = Row("1 worker SIGKILLed", baseline_s=bench.baseline_s)
    sites: Counter[str] = Counter()
    modes: Counter[str] = Counter()
    jobs: Counter[str] = Counter()
    for _ in range(trials):
        phase = bench.rng.choice(["before", "after", "after"])
        mode = bench.rng.choice(["pool child", "pool child", "node"])
        k = bench.rng.randint(1, max(1, int(bench.baseline_requests.get(phase, 50) * 0.9)))
        kill = KillAt(bench.stack, k, phase, "node" if mode == "node" else "child")
        bench.fake.hook = kill
        trial = bench.run_trial("kill")
        bench.fake.hook = None
        if kill.killed is not None:
            sites[_site(kill.killed[1], phase)] += 1
            modes[mode] += 1
            jobs[kill.job] += 1
            trial.note = f"killed {mode} running {kill.job}, {phase} {kill.killed[1]}"
        else:
            modes["no worker request reached"] += 1
        row.trials.append(trial)
    row.notes.append("kills: " + ", ".join(f"{n} {m}" for m, n in modes.most_common()))
    row.notes.append("jobs killed: " + ", ".join(f"{j} x{n}" for j, n in jobs.most_common()))
    row.notes.append("kill points: " + ", ".join(f"{s} x{n}" for s, n in sites.most_common()))
    if sum(modes[m] for m in ("pool child", "node")) < trials:
        row.extra_failures.append("some kill trials never killed a worker")
    return row


def _site(operation: str, phase: str) -> str:
    operation = operation.replace("/repos/{owner}/{repo}", "").replace("{pull_number}", "N") or operation
    operation = operation.replace("{issue_number}", "N")
    if operation.endswith(" "):
        operation += "repo"
    if operation.endswith(" git"):
        return "git (clone/fetch/push), after"
    return f"{operation}, {phase}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    print(f"reliability run, seed {seed} (repeat with --seed {seed})", flush=True)
    rng = random.Random(seed)
    kills = args.kills if args.kills is not None else (1 if args.short else 20)
    if args.short:
        use_categories(2)
    run_dir = Path(tempfile.mkdtemp(prefix="migration-bot-reliability-"))
    # short mode's jobs are small (two categories of three files), so a lost node's job may come back sooner
    stack = Stack(run_dir, workers=args.workers, visibility_s=30 if args.short else 60,
                  reconcile_s=5 if args.short else 10)
    rows: list[Row] = []
    started = time.monotonic()
    try:
        stack.start()
        bench = Bench(stack, rng)
        rows.append(bench.calibrate())
        from reliability_faults import scenario_faults, scenario_human_push, scenario_redis
        from reliability_hostile import scenario_hostile
        from reliability_load import scenario_big, scenario_ingest

        trials = 1 if args.short else 3
        plan: list[tuple[str, Callable[[], Row]]] = [
            ("1", lambda: scenario_kills(bench, kills)),
            ("2", lambda: scenario_faults(bench, trials)),
            ("3", lambda: scenario_redis(bench, trials)),
            ("4", lambda: scenario_human_push(bench, trials)),
            ("5", lambda: scenario_hostile(bench, tuple(args.hostile.split(",")), timeout_s=10 if args.short else 20)),
            ("6", lambda: scenario_ingest(bench, 5 if args.short else 60)),
            ("6b", lambda: scenario_big(bench, 50, 5000, (1, 4), cap_s=args.big_cap)),
        ]
        for number, scenario in plan:
            if number in args.scenarios.split(",") or (number == "6b" and "6" in args.scenarios.split(",")
                                                         and not args.short):
                begun = time.monotonic()
                rows.append(scenario())
                rows[-1].notes.append(f"scenario took {time.monotonic() - begun:.0f} s")
                print(" | ".join(rows[-1].cells()), f"| {len(rows[-1].failures())} failures", flush=True)
                for note in rows[-1].notes:
                    print(f"    {note}", flush=True)
        bench.ci.stop()
        problems = stack.github.problems()
    finally:
        stack.stop()
    failures = [f for row in rows for f in row.failures()]
    if problems:
        failures += [f"fake GitHub: {p}" for p in problems[:10]]
    report(rows, seed, time.monotonic() - started, args)
    if failures:
        print("\nLOSS OR FAILURE:\n  " + "\n  ".join(failures))
        print(f"logs: {run_dir}")
        return 1
    with contextlib.suppress(OSError):
        subprocess.run(["rm", "-rf", str(run_dir)], check=False)
    print("\nzero loss: every campaign finished with exactly one PR per category, nothing lost or overwritten")
    return 0


def report(rows: list[Row], seed: int, seconds: float, args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"reliability, seed {seed}, {args.workers} workers, {'short' if args.short else 'full'} "
                        f"mode, {seconds:.0f} s")
    for column in COLUMNS:
        if column == "scenario":
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*row.cells())
    console = Console(width=200)
    console.print(table)
    for row in rows:
        for note in row.notes:
            console.print(f"  {row.scenario.split(' ')[0]}: {note}", highlight=False)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, help="seed of the trials' random choices (printed either way)")
    parser.add_argument("--short", action="store_true",
                        help="the test suite's mode: fewer trials, two categories per campaign, no 6b")
    parser.add_argument("--kills", type=int, help="scenario 1 trials (default 20, short 1)")
    parser.add_argument("--hostile", default="secrets,escape,fork-bomb,fill-disk,run-forever",
                        help="scenario 5's attacks")
    parser.add_argument("--big-cap", type=float, default=180.0,
                        help="seconds each formation of scenario 6b may run (its PRs/min are measured)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (Celery nodes)")
    parser.add_argument("--scenarios", default="1,2,3,4,5,6", help="comma-separated scenario numbers")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
