"""Checks the fake's responses and webhook payloads against GitHub's own OpenAPI descriptions.

The descriptions are the vendored, trimmed ones in `openapi/` (made by `trim_openapi.py`). The REST file
(OpenAPI 3.0.3) is loaded once per process and its `nullable: true` is rewritten into
JSON-Schema null types; per-operation validators are compiled lazily and cached. The webhooks file
(OpenAPI 3.1, i.e. JSON Schema 2020-12) gets the same treatment for `<event>-<action>` payloads.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

VENDORED_DIR = Path(__file__).resolve().parent / "openapi"
#: GitHub's descriptions trimmed to what the fake uses (see openapi/README.md); GITHUB_OPENAPI_DIR may point at
#: another folder with the same two file names, e.g. the full ones
OPENAPI_DIR = Path(os.environ.get("GITHUB_OPENAPI_DIR") or VENDORED_DIR)
REST_FILE = OPENAPI_DIR / "api.github.com.json"
WEBHOOKS_FILE = OPENAPI_DIR / "webhooks.json"
_REST_URI = "urn:github:rest"
_HOOKS_URI = "urn:github:webhooks"
#: parameters that may span several path segments (branch names and refs hold slashes)
_GREEDY = frozenset({"branch", "ref", "path", "name"})


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _nullable_to_null(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema: `type` gains "null", or the schema becomes anyOf null."""
    if isinstance(node, list):
        return [_nullable_to_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_to_null(value) for key, value in node.items()}
    if out.pop("nullable", False) is not True:
        return out
    if "type" in out:
        kind = out["type"]
        out["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [{"type": "null"}, out]}


def template_regex(template: str) -> re.Pattern[str]:
    """`/repos/{owner}/{repo}/branches/{branch}` -> a regex; branch/ref/path/name may contain slashes."""
    pattern = ""
    for literal, param in re.findall(r"([^{]*)(?:\{(\w+)\})?", template):
        pattern += re.escape(literal)
        if param:
            greedy = ".*" if param == "path" else ".+"
            pattern += f"(?P<{param}>{greedy})" if param in _GREEDY else f"(?P<{param}>[^/]+)"
    return re.compile(pattern + "$")


def best_match(path: str, templates: list[tuple[str, re.Pattern[str]]]) -> tuple[str, dict[str, str]] | None:
    """The matching template with the most literal characters (so `/pulls/{n}/merge` beats `/pulls/{n}`)."""
    found: list[tuple[int, str, dict[str, str]]] = []
    for template, regex in templates:
        m = regex.match(path)
        if m:
            found.append((len(re.sub(r"\{\w+\}", "", template)), template, m.groupdict()))
    if not found:
        return None
    _, template, params = max(found, key=lambda item: item[0])
    return template, params


def webhook_key(webhooks: dict[str, Any], event: str, action: object) -> str:
    """The description's key for a delivery: `pull-request-closed`, or the bare event (`push`) without one."""
    base = event.replace("_", "-")
    keyed = f"{base}-{str(action).replace('_', '-')}" if action else base
    return keyed if keyed in webhooks else base


@dataclass(frozen=True)
class SchemaError:
    """One response or payload that does not match GitHub's description."""

    operation: str  #: "GET /repos/{owner}/{repo}/pulls" or "webhook push"
    path: str
    status: int
    message: str

    def __str__(self) -> str:
        return f"{self.operation} ({self.path}) -> {self.status}: {self.message}"


class RestSchemas:
    """Response validators for the REST description; build once per session, it costs about a second."""

    def __init__(self, source: Path = REST_FILE) -> None:
        self.doc: dict[str, Any] = _nullable_to_null(json.loads(source.read_text()))
        resource = Resource.from_contents(self.doc, default_specification=DRAFT4)
        self._registry: Registry = Registry().with_resource(_REST_URI, resource)

    def has_operation(self, method: str, template: str) -> bool:
        return method.lower() in self.doc["paths"].get(template, {})

    @functools.cache  # noqa: B019 - one instance per session; the cache is the point
    def _validator(self, method: str, template: str, status: int) -> jsonschema.Validator | None:
        responses = self.doc["paths"][template][method.lower()]["responses"]
        response = responses.get(str(status))
        if response is None:
            return None
        pointer = _pointer("paths", template, method.lower(), "responses", str(status))
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[-1]
            pointer, response = _pointer("components", "responses", name), self.doc["components"]["responses"][name]
        if "application/json" not in response.get("content", {}):
            return None
        ref = f"{_REST_URI}#{pointer}{_pointer('content', 'application/json', 'schema')}"
        return jsonschema.Draft4Validator({"$ref": ref}, registry=self._registry)

    def check(self, method: str, template: str, path: str, status: int, body: Any) -> SchemaError | None:
        """None when `body` fits; an error when it does not or when the status is undocumented."""
        operation = f"{method} {template}"
        responses = self.doc["paths"].get(template, {}).get(method.lower(), {}).get("responses", {})
        if str(status) not in responses:
            if status >= 300:  # GitHub answers undocumented errors everywhere; only successes must be listed
                return None
            return SchemaError(operation, path, status, f"status {status} is not documented")
        validator = self._validator(method, template, status)
        if validator is None:
            return None
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return SchemaError(operation, path, status, f"at '{where}': {error.message[:300]}")


class WebhookSchemas:
    """Payload validators for the webhooks description, keyed like `pull-request-closed`."""

    def __init__(self, source: Path = WEBHOOKS_FILE) -> None:
        self.doc: dict[str, Any] = json.loads(source.read_text())
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self._registry: Registry = Registry().with_resource(_HOOKS_URI, resource)

    def key(self, event: str, payload: dict[str, Any]) -> str:
        return webhook_key(self.doc["webhooks"], event, payload.get("action"))

    def check(self, event: str, payload: dict[str, Any]) -> SchemaError | None:
        key = self.key(event, payload)
        if key not in self.doc["webhooks"]:
            return SchemaError(f"webhook {event}", key, 0, "no such webhook in the description")
        ref = self.doc["webhooks"][key]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        validator = jsonschema.Draft202012Validator({"$ref": _HOOKS_URI + ref}, registry=self._registry)
        error = jsonschema.exceptions.best_match(validator.iter_errors(payload))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return SchemaError(f"webhook {key}", event, 0, f"at '{where}': {error.message[:300]}")


@functools.cache
def rest_schemas() -> RestSchemas:
    """The session's one REST description (cached per process)."""
    return RestSchemas()


@functools.cache
def webhook_schemas() -> WebhookSchemas:
    return WebhookSchemas()
