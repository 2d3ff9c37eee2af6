"""GitHub webhook signatures: HMAC-SHA256 over the raw body, compared in constant time. Pure."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for `body`: ``"sha256=<hex>"``."""
    return PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """True only when `header` is exactly the signature of `body`; an empty secret never verifies.

    The comparison is constant-time over the whole header, so a wrong prefix or a truncated digest
    fails like any other mismatch and timing reveals nothing about how much matched.
    """
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.encode("utf-8", "replace"))
