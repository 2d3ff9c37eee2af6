"""PyGithub and transport failures turned into the forge's two kinds: Retryable(after_s) or Permanent."""

from __future__ import annotations

import contextlib
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
        return Retryable(f"{text}; rate limited", after_s=wait)
    return Permanent(text)


def from_transport(error: Exception, action: str) -> Retryable:
    """Connection refused, reset, timed out: the host may be back soon."""
    return Retryable(f"{action}: {type(error).__name__} talking to GitHub")


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    """Runs the block and re-raises GitHub and transport failures as Retryable or Permanent."""
    try:
        yield
    except ForgeError:
        raise
    except GithubException as error:
        raise from_github(error, action) from None
    except (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError) as error:
        raise from_transport(error, action) from None
