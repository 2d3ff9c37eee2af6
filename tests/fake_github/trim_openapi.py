"""Cuts GitHub's full OpenAPI descriptions down to what the fake GitHub serves and emits, for vendoring.

    python -m tests.fake_github.trim_openapi --source DIR [--out tests/fake_github/openapi]

DIR holds the full `api.github.com.json` and `webhooks.json` (and their LICENSE). Kept: the REST operations in
the fake's route table; the webhooks `hooks.py` sends and those `tests/payloads/` records;
every `$ref` they reach, transitively; `openapi`, `info`, `servers`, `externalDocs` and the tags in use. Nothing
kept is edited. `info["x-trimmed-from"]` records the upstream package, version and sha256; trimming an already
trimmed file keeps that record, so the vendored files are a fixed point of this script.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.fake_github.openapi_check import VENDORED_DIR, webhook_key
from tests.fake_github.server import ROUTES

FAKE_DIR = Path(__file__).resolve().parent
PAYLOAD_DIR = FAKE_DIR.parent / "payloads"
REST_FILE, WEBHOOKS_FILE, LICENSE_FILE = "api.github.com.json", "webhooks.json", "LICENSE"
#: the npm package each full file comes from (the files name only their version)
PACKAGES = {REST_FILE: "@octokit/openapi", WEBHOOKS_FILE: "@octokit/openapi-webhooks"}
PROVENANCE = "x-trimmed-from"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_TOP_LEVEL = ("openapi", "info", "servers", "externalDocs")


def served_operations() -> set[tuple[str, str]]:
    """(method, template) for every route of the fake, lower-case method as in OpenAPI."""
    return {(method.lower(), template) for method, template, _ in ROUTES}


def _emit_event(node: ast.AST) -> str | None:
    """The event of a `<x>.emit("push", ...)` call ("push"), else None."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return node.args[0].value
    return None


def _strings(node: ast.AST | None) -> set[str]:
    if node is None:
        return set()
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _argument(call: ast.Call, function: ast.FunctionDef, name: str) -> ast.AST | None:
    """The expression `call` passes for `function`'s parameter `name`."""
    index = [a.arg for a in function.args.args].index(name)
    given = {k.arg: k.value for k in call.keywords}
    return call.args[index] if index < len(call.args) else given.get(name)


def _actions(function: ast.FunctionDef, calls: list[ast.Call]) -> set[str | None]:
    """The `"action"` values of `function`'s payloads; a parameter stands for what the callers pass for it."""
    actions: set[str | None] = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and key.value == "action"):
                continue
            if isinstance(value, ast.Name):
                callers = [c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr == function.name]
                actions.update(*(_strings(_argument(c, function, value.id)) for c in callers))
            else:
                actions |= _strings(value)
    return actions


def emitted_webhooks() -> set[tuple[str, str | None]]:
    """(event, action) pairs `hooks.py` sends, read from its source and its callers' literal arguments.

    Anything this misses is still caught at run time: `FakeGitHub.emit` records a webhook the description
    lacks as a problem that fails the test.
    """
    tree = ast.parse((FAKE_DIR / "hooks.py").read_text())
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    calls = [n for path in sorted(FAKE_DIR.glob("*.py")) for n in ast.walk(ast.parse(path.read_text()))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "hooks" and n.func.attr in functions]
    found: set[tuple[str, str | None]] = set()
    for function in functions.values():
        events = {e for n in ast.walk(function) if (e := _emit_event(n))}
        found |= {(event, action) for event in events for action in _actions(function, calls) or {None}}
    return found


def recorded_webhooks() -> set[tuple[str, str | None]]:
    """(event, action) of the recorded payloads, `<event>.<action>[.<variant>].json`."""
    return {(path.name.split(".")[0], json.loads(path.read_text()).get("action")) for path in PAYLOAD_DIR.glob("*.json")}


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _copy_closure(source: dict[str, Any], out: dict[str, Any]) -> None:
    """Copies into `out`, at the same pointer, everything `out` references in `source`, until nothing is new."""
    pending, seen = list(_refs(out)), set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are expected, got {ref!r}")
        parts = [_unescape(p) for p in ref[2:].split("/")]
        node, target = source, out
        for part in parts[:-1]:
            node, target = node[part], target.setdefault(part, {})
        target[parts[-1]] = node[parts[-1]]
        pending.extend(_refs(node[parts[-1]]))


def _head(source: dict[str, Any], name: str, raw: bytes) -> dict[str, Any]:
    out = {key: source[key] for key in _TOP_LEVEL if key in source}
    if PROVENANCE not in out["info"]:
        out["info"] = {**out["info"], PROVENANCE: {
            "file": name, "package": PACKAGES[name], "version": out["info"]["version"],
            "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw),
            "by": "python -m tests.fake_github.trim_openapi"}}
    return out


def _tags(source: dict[str, Any], operations: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    used = {tag for op in operations for tag in op.get("tags", [])}
    return [tag for tag in source.get("tags", []) if tag["name"] in used]


def trim_rest(source: dict[str, Any], raw: bytes, operations: set[tuple[str, str]]) -> dict[str, Any]:
    """The REST description with only `operations`; raises KeyError naming any the source lacks."""
    missing = sorted(f"{m.upper()} {t}" for m, t in operations if m not in source["paths"].get(t, {}))
    if missing:
        raise KeyError(f"not in the REST description: {', '.join(missing)}")
    out = _head(source, REST_FILE, raw)
    paths: dict[str, Any] = {}
    for method, template in sorted(operations):
        item = source["paths"][template]
        kept = paths.setdefault(template, {k: v for k, v in item.items() if k not in _METHODS})
        kept[method] = item[method]
    out["paths"] = paths
    out["tags"] = _tags(source, (op for item in paths.values() for k, op in item.items() if k in _METHODS))
    _copy_closure(source, out)
    return out


def trim_webhooks(source: dict[str, Any], raw: bytes, wanted: set[tuple[str, str | None]]) -> dict[str, Any]:
    """The webhooks description with the deliveries `wanted` as (event, action); KeyError names unknown ones."""
    keys = {webhook_key(source["webhooks"], event, action) for event, action in wanted}
    missing = sorted(keys - set(source["webhooks"]))
    if missing:
        raise KeyError(f"not in the webhooks description: {', '.join(missing)}")
    out = _head(source, WEBHOOKS_FILE, raw)
    out["webhooks"] = {key: source["webhooks"][key] for key in sorted(keys)}
    out["tags"] = _tags(source, (item["post"] for item in out["webhooks"].values()))
    _copy_closure(source, out)
    return out


def dump(doc: dict[str, Any]) -> str:
    """Sorted keys, one-space indent, one line per scalar: stable and reviewable as a diff."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def trimmed(source_dir: Path) -> dict[str, str]:
    """File name -> text of the trimmed descriptions made from the full ones in `source_dir`."""
    rest_raw, hooks_raw = (source_dir / REST_FILE).read_bytes(), (source_dir / WEBHOOKS_FILE).read_bytes()
    rest = trim_rest(json.loads(rest_raw), rest_raw, served_operations())
    hooks = trim_webhooks(json.loads(hooks_raw), hooks_raw, emitted_webhooks() | recorded_webhooks())
    return {REST_FILE: dump(rest), WEBHOOKS_FILE: dump(hooks)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder with the full descriptions")
    parser.add_argument("--out", type=Path, default=VENDORED_DIR, help=f"default: {VENDORED_DIR}")
    args = parser.parse_args(argv)
    texts = trimmed(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (args.out / name).write_text(text)
    if (args.source / LICENSE_FILE).resolve() != (args.out / LICENSE_FILE).resolve():
        shutil.copyfile(args.source / LICENSE_FILE, args.out / LICENSE_FILE)


if __name__ == "__main__":
    main()
