"""Opt-in faults keyed by operation ("POST /repos/{owner}/{repo}/pulls"): errors, rate limits, slow answers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                     "If you reach out to GitHub Support for help, please include the request ID.")
PRIMARY_MESSAGE = "API rate limit exceeded for installation ID 1."


@dataclass(frozen=True)
class FaultReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    operation: str
    kind: str  #: "fail" | "secondary" | "primary" | "slow"
    times: int | None  #: None = every time
    status: int = 502
    retry_after: int = 1
    seconds: float = 0.0


class Faults:
    """What a test armed; `take(operation)` consumes one shot and says what to do."""

    def __init__(self) -> None:
        self._armed: list[_Fault] = []
        self._lock = threading.Lock()

    def fail(self, operation: str, status: int = 502, times: int | None = 1) -> None:
        self._add(_Fault(operation, "fail", times, status=status))

    def rate_limit(self, operation: str, kind: str = "secondary", retry_after: int = 1,
                   times: int | None = 1) -> None:
        assert kind in ("secondary", "primary"), kind
        self._add(_Fault(operation, kind, times, status=403, retry_after=retry_after))

    def slow(self, operation: str, seconds: float, times: int | None = None) -> None:
        self._add(_Fault(operation, "slow", times, seconds=seconds))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._armed.append(fault)

    def _consume(self, operation: str, slow: bool) -> _Fault | None:
        with self._lock:
            for fault in self._armed:
                if fault.operation == operation and (fault.kind == "slow") == slow:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._armed.remove(fault)
                    return fault
        return None

    def delay(self, operation: str) -> None:
        """Sleeps when a slow fault is armed for this operation (called outside the state lock)."""
        fault = self._consume(operation, slow=True)
        if fault:
            time.sleep(fault.seconds)

    def take(self, operation: str) -> FaultReply | None:
        fault = self._consume(operation, slow=False)
        if fault is None:
            return None
        if fault.kind == "fail":
            return FaultReply(fault.status, {"message": "Server Error" if fault.status >= 500 else "Injected fault"})
        doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        if fault.kind == "secondary":
            return FaultReply(403, {"message": SECONDARY_MESSAGE, "documentation_url": doc},
                              {"Retry-After": str(fault.retry_after)})
        reset = int(time.time()) + fault.retry_after
        return FaultReply(403, {"message": PRIMARY_MESSAGE, "documentation_url": doc},
                          {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset),
                           "X-RateLimit-Used": "5000"})
