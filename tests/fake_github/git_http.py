"""git's smart HTTP protocol for the fake: `git http-backend` run as a CGI under /git/<owner>/<repo>.git/.

Clone and push are real. The token must arrive as a header (Basic x-access-token:<token> or Bearer), which is how
the product sends it; a token in the URL would never be seen here, because git only sends credentials as headers.
"""

from __future__ import annotations

import base64
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

PREFIX = "/git/"


@dataclass(frozen=True)
class CgiReply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def token_from_header(value: str | None) -> str | None:
    """The token in `Authorization: Basic base64(user:token)`, `Bearer t` or `token t`; None otherwise."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    scheme = scheme.lower()
    if scheme in ("bearer", "token"):
        return rest.strip() or None
    if scheme == "basic":
        try:
            _, _, password = base64.b64decode(rest.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return password or None
    return None


def repo_of(path: str) -> str | None:
    """'/git/o/r.git/info/refs' -> 'o/r'."""
    parts = path[len(PREFIX):].split("/")
    if len(parts) < 3 or not parts[1].endswith(".git"):
        return None
    return f"{parts[0]}/{parts[1][:-4]}"


def read_body(rfile: BinaryIO, headers: dict[str, str]) -> bytes:
    """The request body, de-chunked when git streams it (large pushes use Transfer-Encoding: chunked)."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(rfile.read(size))
            rfile.readline()
    length = int(headers.get("content-length") or 0)
    return rfile.read(length) if length else b""


def run_backend(root: Path, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> CgiReply:
    """Runs one CGI request through `git http-backend` with GIT_PROJECT_ROOT=root."""
    env = {
        "PATH": os.environ["PATH"],
        "GIT_PROJECT_ROOT": str(root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(root),
        "REQUEST_METHOD": method,
        "PATH_INFO": path[len(PREFIX) - 1:],
        "QUERY_STRING": query,
        "CONTENT_TYPE": headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_USER": "x-access-token",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    if headers.get("content-encoding"):
        env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
    if headers.get("git-protocol"):
        env["GIT_PROTOCOL"] = headers["git-protocol"]
    proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
    return _parse_cgi(proc.stdout)


def _parse_cgi(raw: bytes) -> CgiReply:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = raw.partition(b"\n\n")
    status, headers = 200, {}
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            headers[name.strip()] = value.strip()
    return CgiReply(status, headers, body)
