"""Recorded webhook bodies and their variants: load `<event>.<action>[.<variant>].json`, change a few fields.

    payload = build("pull_request.closed", {"pull_request.merged": False, "number": 7})
    event = event_of("pull_request.closed")  # "pull_request"

Keys are dotted paths into the JSON (list items by index: "commits.0.added"); a copy is returned every time,
so tests never share or mutate a recorded body.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

PAYLOAD_DIR = Path(__file__).parent


@functools.cache
def _recorded(name: str) -> dict[str, Any]:
    file = name if name.endswith(".json") else f"{name}.json"
    return json.loads((PAYLOAD_DIR / file).read_text())


def load(name: str) -> dict[str, Any]:
    """A fresh copy of the recorded body `name` ("push" or "push.json")."""
    return copy.deepcopy(_recorded(name))


def event_of(name: str) -> str:
    """The X-GitHub-Event for a payload file name: its first dotted part."""
    return Path(name).name.split(".")[0]


def set_path(payload: dict[str, Any], dotted: str, value: Any) -> None:
    """Sets payload[a][b][0]... for "a.b.0"; intermediate dicts are created, lists must exist."""
    parts = dotted.split(".")
    node: Any = payload
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def build(name: str, changes: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """The recorded body with `changes` (dotted paths) and `top` (top-level keys) applied."""
    payload = load(name)
    for dotted, value in {**(changes or {}), **top}.items():
        set_path(payload, dotted, value)
    return payload


def for_repo(name: str, full_name: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The recorded body moved to another repository: every string naming the old one is rewritten."""
    payload = load(name)
    old = payload["repository"]["full_name"]
    owner, repo = full_name.split("/")
    text = json.dumps(payload).replace(f"/{old}", f"/{full_name}").replace(f":{old}", f":{full_name}")
    payload = json.loads(text)
    payload["repository"].update(name=repo, full_name=full_name)
    payload["repository"]["owner"]["login"] = owner
    for dotted, value in (changes or {}).items():
        set_path(payload, dotted, value)
    return payload
