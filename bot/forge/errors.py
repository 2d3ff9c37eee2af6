"""PyGithub and transport failures turned into the forge's two kinds: Retryable(after_s) or Permanent."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from github import GithubException

from bot.forge.base import ForgeError, Permanent, Retryable

#: wait when GitHub says "slow down" without saying for how long (its docs: at least a minute)
DEFAULT_RATE_LIMIT_WAIT_S = 60.0
#: a reset further away than this is capped; Celery's backoff takes over from there
MAX_WAIT_S = 3600.0


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def rate_limit_wait(status: int, headers: Mapping[str, Any] | None, now: float | None = None) -> float | None:
    """Seconds to wait when a 403/429 is a rate limit (primary or secondary); None when it is not one.

    Retry-After wins; else X-RateLimit-Remaining: 0 waits until X-RateLimit-Reset; a 429 with neither
    still means "slow down".
    """
    if status not in (403, 429):
        return None
    retry_after = _header(headers, "retry-after")
    if retry_after is not None and retry_after.strip().isdigit():
        return min(float(retry_after), MAX_WAIT_S)
    if _header(headers, "x-ratelimit-remaining") == "0":
        reset = _header(headers, "x-ratelimit-reset")
        if reset is not None and reset.strip().isdigit():
            wait = float(reset) - (time.time() if now is None else now)
            return min(max(wait, 1.0), MAX_WAIT_S)
        return DEFAULT_RATE_LIMIT_WAIT_S
    return DEFAULT_RATE_LIMIT_WAIT_S if status == 429 else None


class RateLimited(Retryable):
    """GitHub said the credential's budget is spent (primary) or to slow down (secondary) for `after_s`."""


class RateGate:
    """Until when one credential must not call GitHub. Shared by every forge of the process for that
    credential, so once one call learns of a rate limit, the process's other tasks wait for the reset too
    instead of each spending a request (GitHub counts those, and may ban an integration that keeps asking)."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def check(self, action: str) -> None:
        """Raises RateLimited, without calling GitHub, while a limit it was told of is in force."""
        wait = self._until - time.time()
        if wait > 0:
            raise RateLimited(f"{action}: not asked, GitHub's rate limit resets in {wait:.0f}s", after_s=wait)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.time() + seconds)


_gates: dict[str, RateGate] = {}
_gates_lock = threading.Lock()


def rate_gate(api_url: str, credential: str) -> RateGate:
    """The process's gate for `credential` ("installation:42", "token", "app") on the GitHub at `api_url`."""
    with _gates_lock:
        return _gates.setdefault(f"{api_url} {credential}", RateGate())


def _message(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"][:200]
    return ""


def from_github(error: GithubException, action: str) -> ForgeError:
    """The forge error for a GitHub answer; the text names the action and status, never a credential."""
    status = error.status
    text = f"{action}: GitHub answered {status}"
    if _message(error.data):
        text += f" ({_message(error.data)})"
    if status >= 500:
        return Retryable(text)
    wait = rate_limit_wait(status, error.headers)
    if wait is not None:
        return RateLimited(f"{text}; rate limited", after_s=wait)
    return Permanent(text)


def from_transport(error: Exception, action: str) -> Retryable:
    """Connection refused, reset, timed out: the host may be back soon."""
    return Retryable(f"{action}: {type(error).__name__} talking to GitHub")


@contextlib.contextmanager
def translated(action: str, gate: RateGate | None = None) -> Iterator[None]:
    """Runs the block and re-raises GitHub and transport failures as Retryable or Permanent. With a
    `gate`, the block does not run while its credential is rate limited, and a rate limit closes the gate."""
    if gate is not None:
        gate.check(action)
    try:
        yield
    except ForgeError:
        raise
    except GithubException as error:
        translated_error = from_github(error, action)
        if gate is not None and isinstance(translated_error, RateLimited):
            gate.hold(translated_error.after_s)
        raise translated_error from None
    except (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError) as error:
        raise from_transport(error, action) from None
