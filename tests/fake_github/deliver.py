"""Signed webhook deliveries the way GitHub's Hookshot sends them, to a URL or a Flask test client."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

import requests

USER_AGENT = "GitHub-Hookshot/fake-github"


@dataclass(frozen=True)
class Delivery:
    event: str
    delivery_id: str
    status: int
    body: bytes


def signature(secret: str | bytes, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, body), the X-Hub-Signature-256 value."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def headers_for(event: str, body: bytes, secret: str | bytes | None, delivery_id: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-GitHub-Event": event,
               "X-GitHub-Delivery": delivery_id, "X-GitHub-Hook-ID": "1",
               "X-GitHub-Hook-Installation-Target-Type": "integration", "X-GitHub-Hook-Installation-Target-ID": "1"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = signature(secret, body)
    return headers


def deliver(target: Any, event: str, payload: dict[str, Any] | bytes, secret: str | bytes | None,
            delivery_id: str | None = None, path: str = "/webhooks", timeout: float = 10.0) -> Delivery:
    """POSTs `payload` to `target` (a URL string, or a Flask test client with `path`), signed with `secret`.

    `secret=None` sends it unsigned (for refusal tests); bytes payloads go out verbatim (for malformed JSON).
    """
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    delivery_id = delivery_id or str(uuid.uuid4())
    headers = headers_for(event, body, secret, delivery_id)
    if isinstance(target, str):
        response = requests.post(target, data=body, headers=headers, timeout=timeout)
        return Delivery(event, delivery_id, response.status_code, response.content)
    response = target.post(path, data=body, headers=headers)
    return Delivery(event, delivery_id, response.status_code, response.get_data())
