"""Scenarios 2-4 of the reliability run: GitHub faults at a set rate, Redis flushed and restarted
mid-campaign, and a person pushing to a bot branch while jobs run."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reliability_stack import _peer, owner_of
from reliability_world import Campaign

from bot import markers
from tests.fake_github.faults import PRIMARY_MESSAGE, SECONDARY_MESSAGE, FaultReply

if TYPE_CHECKING:
    from reliability import Bench, Row

FAULT_RATE = 0.05
DOC = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"


# -- scenario 2: GitHub faults -----------------------------------------------------------------------------------
@dataclass
class FaultInjector:
    """Answers a share of REST requests with a fault, as GitHub does on a bad day. A primary rate limit is
    GitHub's: every request until the reset gets the 403; those requests are counted as over budget."""

    bench: Bench
    rate: float = FAULT_RATE
    injected: dict[str, int] = field(default_factory=lambda: {"502": 0, "secondary": 0, "primary": 0, "slow": 0})
    window_until: float = 0.0
    windows: list[int] = field(default_factory=list)  #: requests that arrived inside each primary window
    in_window: int = 0
    window_ops: list[str] = field(default_factory=list)  #: what arrived inside the windows (for the report)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        faults = self.bench.fake.faults
        self._take, self._delay = faults.take, faults.delay
        faults.take = self.take  # type: ignore[method-assign]
        faults.delay = self.delay  # type: ignore[method-assign]

    def _roots(self) -> list[int]:
        return [p.pid for p in self.bench.stack.supervisor.procs if p.pid is not None]

    def _name(self, chain: list[int]) -> str:
        for proc in self.bench.stack.supervisor.procs:
            if chain and proc.pid == chain[-1]:
                return f"{proc.name} pid {chain[min(1, len(chain) - 1) if len(chain) > 1 else 0]}"
        return "?"

    def uninstall(self) -> None:
        faults = self.bench.fake.faults
        faults.take, faults.delay = self._take, self._delay  # type: ignore[method-assign]
        self._close_window()

    def _close_window(self) -> None:
        if self.window_until:
            self.windows.append(self.in_window)
            self.window_until, self.in_window = 0.0, 0

    def delay(self, operation: str) -> None:
        self._delay(operation)
        if self.bench.rng.random() < self.rate / 4:
            self.injected["slow"] += 1
            time.sleep(self.bench.rng.uniform(0.5, 2.0))

    def take(self, operation: str) -> FaultReply | None:
        if operation in ("POST /app/installations/{installation_id}/access_tokens", "GET /app/installations"):
            return self._take(operation)  # the App's own endpoints count against the App, not the installation
        rng = self.bench.rng
        with self._lock:
            now = time.time()
            if self.window_until and now < self.window_until:
                self.in_window += 1
                chain = owner_of(getattr(_peer, "addr", ("", 0))[1], self._roots())
                self.window_ops.append(f"{operation} by {self._name(chain)}")
                return _primary(self.window_until)
            self._close_window()
            if rng.random() >= self.rate:
                return self._take(operation)
            kind = rng.choice(["502", "502", "secondary", "primary"])
            self.injected[kind] += 1
            if kind == "502":
                return FaultReply(502, {"message": "Server Error"})
            if kind == "secondary":
                return FaultReply(403, {"message": SECONDARY_MESSAGE, "documentation_url": DOC},
                                  {"Retry-After": str(rng.randint(1, 3))})
            self.window_until = now + rng.randint(2, 4)
            return _primary(self.window_until)


def _primary(until: float) -> FaultReply:
    return FaultReply(403, {"message": PRIMARY_MESSAGE, "documentation_url": DOC},
                      {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(until) + 1),
                       "X-RateLimit-Used": "5000"})


def scenario_faults(bench: Bench, trials: int) -> Row:
    from reliability import Row

    row = Row("2 GitHub faults", baseline_s=bench.baseline_s)
    injector = FaultInjector(bench)
    injector.install()
    try:
        for _ in range(trials):
            row.trials.append(bench.run_trial("faults", timeout_s=400))
    finally:
        injector.uninstall()
    workers = len(bench.stack.supervisor.named("worker")) + 1  # + beat
    worst = max(injector.windows, default=0)
    row.notes.append(f"{FAULT_RATE:.0%} of REST requests faulted: " +
                     ", ".join(f"{k} x{v}" for k, v in injector.injected.items()) +
                     f"; requests inside a primary-limit window: max {worst} per window "
                     f"(budget: one per process, {workers})")
    from collections import Counter

    row.notes.append("inside the windows: " + ", ".join(f"{op} x{n}" for op, n in Counter(injector.window_ops).most_common()))
    if worst > workers:
        row.extra_failures.append(f"rate budget exceeded: {worst} requests inside one primary-limit window")
    return row


# -- scenario 3: Redis flushed, then restarted ------------------------------------------------------------------
def scenario_redis(bench: Bench, trials: int) -> Row:
    from reliability import Row

    row = Row("3 Redis flushed + restarted", baseline_s=bench.baseline_s)
    refused = 0

    def outage(campaign: Campaign) -> None:
        nonlocal refused
        time.sleep(bench.rng.uniform(0.2, 0.7) * bench.baseline_s)
        first = len(bench.fake.deliveries)
        redis = bench.stack.redis
        redis.client().flushall()
        redis.stop()
        time.sleep(2.0)
        redis.start()
        time.sleep(1.0)  # a delivery in flight when Redis came back may still have been refused
        bench.outage.append((first, len(bench.fake.deliveries)))
        refused += sum(d.status not in (200, 202) for d in bench.fake.deliveries[first:])

    for _ in range(trials):
        row.trials.append(bench.run_trial("redis", outage))
    row.notes.append(f"deliveries refused (503) during the outages, expected: {refused}; "
                     "the beat's reconcile re-derives what they would have started")
    return row


# -- scenario 4: a person pushes to a bot branch while jobs run --------------------------------------------------
def scenario_human_push(bench: Bench, trials: int) -> Row:
    from reliability import Row

    row = Row("4 human push to a bot branch", baseline_s=bench.baseline_s)
    pushes = 0
    current: list[Campaign] = []

    def hook(phase: str, peer: tuple[str, int], operation: str) -> None:
        nonlocal pushes
        if phase != "after" or operation != "POST git" or not current:
            return  # a worker's clone, fetch or push just happened: a job is running
        campaign = current[0]
        if len(campaign.human_commits) >= 2 or bench.rng.random() > 0.5:
            return
        if len(owner_of(peer[1], bench.stack.worker_roots())) < 2:
            return
        open_heads = [p.head for p in bench.fake.pulls(campaign.repo) if p.state == "open"
                      and markers.parse_branch(p.head)
                      and not any(path.startswith(p.head.replace("/", "@")) for path in
                                  campaign.human_commits.values())]
        if open_heads:
            campaign.human_push(bench.rng.choice(open_heads))
            pushes += 1

    def during(campaign: Campaign) -> None:
        current[:] = [campaign]

    bench.ci.hold_s = 3.0  # PRs stay open a while, so pushes land on branches the bot will regenerate
    bench.fake.hook = hook
    try:
        for _ in range(trials):
            row.trials.append(bench.run_trial("human", during, timeout_s=240))
            current.clear()
    finally:
        bench.fake.hook = None
        bench.ci.hold_s = 0.0
    refusals = sum(t.refusals for t in row.trials)
    unsaid = sum(t.unsaid for t in row.trials)
    row.notes.append(f"human commits pushed to open bot PRs: {pushes}; PRs where the bot then refused to push: "
                     f"{refusals}, said on the PR: {refusals - unsaid}")
    return row
