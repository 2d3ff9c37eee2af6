"""Headless Chromium (Debian's `chromium` package) through Playwright, and a real HTTP server for a Flask app.

Playwright drives the system browser (`executable_path`); its own browser download is never used. A
missing browser is an error naming the package to install, never a skip.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

PACKAGE = "chromium"
#: flags that keep a headless Chromium quiet and offline here (no sandbox: the tests may run as root)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError(f"no Chromium: install Debian's {PACKAGE!r} package (apt-get install {PACKAGE}); "
                           ".ci/run does so when it is missing")
    return path


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright Browser on the system Chromium, with a fresh profile; closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """`app` on 127.0.0.1 at a free port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dashboard", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
