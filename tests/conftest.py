"""Suite-wide fixtures: the fake GitHub (real HTTP + real bare git repos) and a private real Redis."""

from __future__ import annotations

import contextlib

from tests.redis_db import stop_private_server

with contextlib.suppress(ImportError):  # the fake lands in its own module; fixtures are re-exported here
    from tests.fake_github.fixtures import *  # noqa: F401,F403


def pytest_unconfigure() -> None:
    stop_private_server()
