"""Repository trees the engine reads: a directory on disk, or a mapping for pure tests."""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

#: directory names never walked: version control, caches, virtualenvs, vendored JS
SKIP_DIRS = frozenset({".git", "__pycache__", "node_modules", "venv", "env", "site-packages"})

_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


class UnreadableFile(ValueError):
    """A file whose bytes cannot be decoded as UTF-8 nor by its PEP 263 coding declaration."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: cannot decode: {reason}")
        self.path = path
        self.reason = reason


class RepoTree(Protocol):
    """The read-only view of a repository the engine works on; paths are relative and "/"-separated."""

    def paths(self) -> list[str]:
        """Every .py file, sorted."""
        ...

    def read(self, path: str) -> str:
        """The decoded text; raises UnreadableFile when it cannot be decoded."""
        ...

    def read_bytes(self, path: str) -> bytes:
        """The raw bytes, for the textual prefilter (no decode, no parse)."""
        ...


def decode_source(path: str, data: bytes) -> str:
    """UTF-8 first (the common case); else the encoding the file declares (PEP 263); else UnreadableFile."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            return data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError):
            raise UnreadableFile(path, str(utf8_error)) from utf8_error


def encode_source(text: str) -> bytes:
    """Encodes with the coding the text declares in its first two lines (PEP 263), UTF-8 otherwise."""
    for line in text.encode("utf-8", "surrogateescape").splitlines()[:2]:
        match = _CODING_RE.match(line)
        if match:
            try:
                return text.encode(match.group(1).decode("ascii"))
            except (LookupError, UnicodeEncodeError):
                break
    return text.encode("utf-8")


class DirectoryTree:
    """A directory on disk. Hidden directories, virtualenvs, caches and node_modules are skipped."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def paths(self) -> list[str]:
        return sorted(self._walk(str(self.root), ""))

    def _walk(self, directory: str, prefix: str) -> Iterator[str]:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if name.startswith(".") or name in SKIP_DIRS or _is_venv(entry.path):
                    continue
                yield from self._walk(entry.path, f"{prefix}{name}/")
            elif name.endswith(".py") and entry.is_file():
                yield f"{prefix}{name}"

    def read_bytes(self, path: str) -> bytes:
        with open(self.root / path, "rb") as handle:
            return handle.read()

    def read(self, path: str) -> str:
        return decode_source(path, self.read_bytes(path))


def _is_venv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


class MemoryTree:
    """A tree held in a mapping {path: source}; for tests and for sources already in memory."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = dict(files)

    def paths(self) -> list[str]:
        return sorted(p for p in self._files if p.endswith(".py"))

    def read(self, path: str) -> str:
        return self._files[path]

    def read_bytes(self, path: str) -> bytes:
        return self._files[path].encode("utf-8", "surrogateescape")
