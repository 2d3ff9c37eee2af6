"""Loading a user's own libCST codemod class, "package.module:ClassName", from the repository's path."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from libcst.codemod import Codemod


class CodemodLoadError(Exception):
    """The target could not be imported or is not a libCST codemod; the message says which."""


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
    """The codemod class named by `target`; raises CodemodLoadError with a readable reason."""
    module_name, sep, class_name = target.partition(":")
    if not sep or not module_name or not class_name:
        raise CodemodLoadError(f"codemod {target!r} is not of the form 'package.module:ClassName'")
    with _path_first(user_root):
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # the user's module may raise anything at import
            raise CodemodLoadError(f"cannot import {module_name!r}: {type(error).__name__}: {error}") from error
    found = getattr(module, class_name, None)
    if not (isinstance(found, type) and issubclass(found, Codemod)):
        raise CodemodLoadError(f"{target!r} is not a libcst.codemod.Codemod subclass")
    return found
