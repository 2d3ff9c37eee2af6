"""A fake GitHub for the test suite: REST subset, smart-HTTP git over bare repositories, signed webhooks."""

from __future__ import annotations

from tests.fake_github.deliver import Delivery, deliver, signature
from tests.fake_github.server import FakeGitHub, RequestRecord

__all__ = ["Delivery", "FakeGitHub", "RequestRecord", "deliver", "signature"]
