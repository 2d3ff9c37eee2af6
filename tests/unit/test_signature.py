"""signature: sign and verify GitHub's X-Hub-Signature-256."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.signature import sign, verify

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"


def test_sign_matches_githubs_documented_example() -> None:
    # The example from GitHub's "Validating webhook deliveries" page.
    assert sign(SECRET, BODY) == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_sign_is_hmac_sha256_hex() -> None:
    assert sign(b"k", b"body") == "sha256=" + hmac.new(b"k", b"body", hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("secret", "body", "header", "ok"),
    [
        pytest.param(SECRET, BODY, sign(SECRET, BODY), True, id="good"),
        pytest.param(b"wrong secret", BODY, sign(SECRET, BODY), False, id="wrong-secret"),
        pytest.param(SECRET, BODY, sign(SECRET, BODY).removeprefix("sha256="), False, id="missing-prefix"),
        pytest.param(SECRET, BODY + b" ", sign(SECRET, BODY), False, id="tampered-body"),
        pytest.param(SECRET, BODY, sign(SECRET, BODY)[:-2], False, id="truncated-digest"),
        pytest.param(SECRET, BODY, sign(SECRET, BODY).upper(), False, id="case-changed"),
        pytest.param(SECRET, BODY, "sha1=" + hashlib.sha1(BODY).hexdigest(), False, id="sha1-header"),
        pytest.param(SECRET, BODY, "", False, id="empty-header"),
        pytest.param(SECRET, BODY, None, False, id="no-header"),
        pytest.param(SECRET, BODY, "sha256=é", False, id="non-ascii-header"),
        pytest.param(b"", BODY, sign(b"", BODY), False, id="empty-secret-never-verifies"),
    ],
)
def test_verify(secret: bytes, body: bytes, header: str | None, ok: bool) -> None:
    assert verify(secret, body, header) is ok
