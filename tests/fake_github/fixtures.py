"""pytest fixtures: `fake_github` (fresh state per test, OpenAPI validators per session) and `github_client`.

Use from a conftest with `from tests.fake_github.fixtures import *  # noqa: F403` or `pytest_plugins`.
At teardown a test fails, listing them, when the fake saw an unknown endpoint or sent a body that does not
match GitHub's OpenAPI description.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, Github

from tests.fake_github.openapi_check import RestSchemas, WebhookSchemas, rest_schemas, webhook_schemas
from tests.fake_github.server import FakeGitHub
from tests.fake_github.state import BOT_LOGIN

PAT = "ghp_fakegithubtesttoken000000000000000000"
APP_ID = 4242
#: PyGithub keyword arguments that drop its built-in pacing between requests
NO_THROTTLE = {"seconds_between_requests": None, "seconds_between_writes": None}


@dataclass(frozen=True)
class AppKey:
    """An RSA key pair for the test GitHub App (PEM text)."""

    private_pem: str
    public_pem: str


@pytest.fixture(scope="session")
def github_openapi() -> tuple[RestSchemas, WebhookSchemas]:
    """GitHub's REST and webhook descriptions, loaded once per session (the vendored, trimmed files)."""
    return rest_schemas(), webhook_schemas()


@pytest.fixture(scope="session")
def github_app_key() -> AppKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return AppKey(private, public)


@pytest.fixture
def fake_github(tmp_path: Path, github_openapi: tuple[RestSchemas, WebhookSchemas],
                github_app_key: AppKey) -> Iterator[FakeGitHub]:
    """A running fake with a PAT (`fixtures.PAT`, user migration-bot[bot]) and the App (`APP_ID`) known."""
    rest, hooks = github_openapi
    fake = FakeGitHub(tmp_path / "fake-github", rest, hooks, app_id=APP_ID, app_public_key=github_app_key.public_pem)
    fake.add_token(PAT, BOT_LOGIN)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    problems = fake.problems()
    assert not problems, "the fake GitHub saw problems:\n  " + "\n  ".join(problems)


@pytest.fixture
def github_client(fake_github: FakeGitHub) -> Iterator[Github]:
    """PyGithub against the fake with the PAT; retries off so fault tests see each answer.

    PyGithub waits 0.25 s between requests and 1 s between writes by default; against the fake that is
    pure waiting, so both are off here (the product's client should take them from its settings).
    """
    client = Github(base_url=fake_github.api_url, auth=Auth.Token(PAT), retry=None, **NO_THROTTLE)
    try:
        yield client
    finally:
        client.close()
