"""An in-memory RepoTree for pure engine tests: a mapping {path: source}."""

from __future__ import annotations

from collections.abc import Mapping


class MemoryTree:
    """A tree held in a mapping {path: source}."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = dict(files)

    def paths(self) -> list[str]:
        return sorted(p for p in self._files if p.endswith(".py"))

    def read(self, path: str) -> str:
        return self._files[path]

    def read_bytes(self, path: str) -> bytes:
        return self._files[path].encode("utf-8", "surrogateescape")
