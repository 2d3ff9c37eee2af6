"""A user's own libCST codemod class, "package.module:ClassName", from the repository's path.

On a worker the repository's code never runs in the bot's process: `codemods_run_by(runner)` installs a
runner (bot.sandbox.SandboxedCodemods) and `load_codemod` then hands back a stand-in class that sends the
file's text to that runner as JSON and takes the new text and the warnings back. The runner starts
`python -m bot.engine.codemods.user request.json reply.json` in the sandbox, which imports the class
there (`serve`). Without a runner (the CLI on the user's own checkout) the class is imported here.
The engine stays pure: the runner is a plain callable passed in.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile

#: {"target", "args", "path", "source"} in; {"code", "warnings"} | {"skip"} | {"error"} out
CodemodRunner = Callable[[dict[str, Any]], dict[str, Any]]
_runner: list[CodemodRunner | None] = [None]


class CodemodLoadError(Exception):
    """The target could not be imported or is not a libCST codemod; the message says which."""


class CodemodRunError(Exception):
    """The user's codemod failed where it ran (the sandbox); the message says how."""


@contextmanager
def codemods_run_by(runner: CodemodRunner | None) -> Iterator[None]:
    """While the block runs, `codemod:` rules go through `runner` (None: imported in this process)."""
    saved = _runner[0]
    _runner[0] = runner
    try:
        yield
    finally:
        _runner[0] = saved


@contextmanager
def _path_first(root: str | None) -> Iterator[None]:
    """`root` first on sys.path while importing; sys.path and the newly imported modules restored after,
    so two repositories with a `tools.codemods` of their own never see each other's."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    if root is not None:
        sys.path.insert(0, root)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        if root is not None:
            for name in set(sys.modules) - saved_modules:
                del sys.modules[name]


def load_codemod(target: str, user_root: str | None = None) -> type[Codemod]:
    """The codemod class named by `target` (a stand-in when a runner is installed); raises
    CodemodLoadError with a readable reason."""
    module_name, sep, class_name = target.partition(":")
    if not sep or not module_name or not class_name:
        raise CodemodLoadError(f"codemod {target!r} is not of the form 'package.module:ClassName'")
    runner = _runner[0]
    if runner is not None:
        return _stand_in(target, runner)
    with _path_first(user_root):
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # the user's module may raise anything at import
            raise CodemodLoadError(f"cannot import {module_name!r}: {type(error).__name__}: {error}") from error
    found = getattr(module, class_name, None)
    if not (isinstance(found, type) and issubclass(found, Codemod)):
        raise CodemodLoadError(f"{target!r} is not a libcst.codemod.Codemod subclass")
    return found


def _stand_in(target: str, runner: CodemodRunner) -> type[Codemod]:
    class RunElsewhere(Codemod):
        """Sends the module's text to the runner; the user's class runs there."""

        def __init__(self, context: CodemodContext, **args: Any) -> None:
            super().__init__(context)
            self.args = args

        def transform_module_impl(self, tree: cst.Module) -> cst.Module:
            reply = runner({"target": target, "args": self.args, "path": self.context.filename or "",
                            "source": tree.code})
            for warning in reply.get("warnings", []):
                self.warn(str(warning))
            if reply.get("error"):
                raise CodemodRunError(str(reply["error"]))
            if reply.get("skip") is not None:
                raise SkipFile(str(reply["skip"]))
            code = reply.get("code")
            if not isinstance(code, str):
                raise CodemodRunError("the codemod gave no code back")
            return tree if code == tree.code else cst.parse_module(code)

    RunElsewhere.__name__ = RunElsewhere.__qualname__ = f"RunElsewhere[{target}]"
    return RunElsewhere


def run_request(request: dict[str, Any], user_root: str) -> dict[str, Any]:
    """Runs one request in this process (the sandbox's side): the reply `RunElsewhere` expects."""
    try:
        codemod = load_codemod(str(request["target"]), user_root)
        context = CodemodContext(filename=str(request.get("path", "")))
        command = codemod(context, **dict(request.get("args") or {}))
        module = cst.parse_module(str(request["source"]))
        updated = command.transform_module(module)
    except SkipFile as skip:
        return {"skip": str(skip) or "skipped", "warnings": []}
    except Exception as error:  # the user's code may raise anything; it is reported, not raised
        return {"error": f"{type(error).__name__}: {error}"}
    return {"code": updated.code, "warnings": list(context.warnings)}


def serve(request_path: str, reply_path: str, user_root: str) -> None:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    reply = run_request(request, user_root)
    Path(reply_path).write_text(json.dumps(reply), encoding="utf-8")


if __name__ == "__main__":  # python -m bot.engine.codemods.user request.json reply.json [root]
    serve(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ".")
