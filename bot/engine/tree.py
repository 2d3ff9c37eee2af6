"""The repository tree the engine reads: a directory on disk (tests add an in-memory one)."""

from __future__ import annotations

import io
import os
import re
import stat
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

#: directory names never walked: version control, caches, virtualenvs, vendored JS
SKIP_DIRS = frozenset({".git", "__pycache__", "node_modules", "venv", "env", "site-packages"})

_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


#: files larger than this are left alone (generated tables, vendored bundles): listed, never parsed
MAX_FILE_BYTES = 1 << 20


class LeftAlone(ValueError):
    """A file the engine will not touch: a symlink, over the size cap, or undecodable. Listed, never fatal."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnreadableFile(LeftAlone):
    """A file whose bytes cannot be decoded as UTF-8 nor by its PEP 263 coding declaration."""

    def __init__(self, path: str, reason: str) -> None:
        ValueError.__init__(self, f"{path}: cannot decode: {reason}")
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
    """A directory on disk. Hidden directories, virtualenvs, caches and node_modules are skipped.

    Symlinked directories are never walked; a symlinked .py file is listed but never read (it could point
    out of the repository), and neither is a file over `max_bytes`: reading either raises LeftAlone.
    """

    def __init__(self, root: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

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

    def refused(self) -> list[str]:
        """The .py paths `read` refuses: symlinks and files over the size cap."""
        out = []
        for path in self.paths():
            info = os.lstat(self.root / path)
            if stat.S_ISLNK(info.st_mode) or info.st_size > self.max_bytes:
                out.append(path)
        return out

    def size(self, path: str) -> int:
        """Bytes on disk (0 when it cannot be told): how pools weigh a file they will read later."""
        try:
            return os.lstat(self.root / path).st_size
        except OSError:
            return 0

    def read_bytes(self, path: str) -> bytes:
        full = self.root / path
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            raise LeftAlone(path, f"symlink to {os.readlink(full)}; not followed")
        if info.st_size > self.max_bytes:
            raise LeftAlone(path, f"{info.st_size} bytes, over the {self.max_bytes}-byte cap")
        with open(full, "rb") as handle:
            return handle.read()

    def read(self, path: str) -> str:
        return decode_source(path, self.read_bytes(path))


def _is_venv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))
