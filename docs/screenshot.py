"""Takes docs/dashboard.png: the campaign page of the five-day story the browser test drives (tests/web_story.py).

Run from the repository root: `python docs/screenshot.py`. Needs Debian's chromium and the test extra
(Playwright, the fake GitHub's OpenAPI check); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.forge.github import GitHubForge  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.browser import chromium, served  # noqa: E402
from tests.fake_github.fixtures import APP_ID, PAT  # noqa: E402
from tests.fake_github.openapi_check import rest_schemas  # noqa: E402
from tests.fake_github.server import FakeGitHub  # noqa: E402
from tests.fake_github.state import BOT_LOGIN  # noqa: E402
from tests.web_story import CAMPAIGN_ID, REPO, drive  # noqa: E402

TOKEN = "screenshot-token-0123456789"
OUT = ROOT / "docs" / "dashboard.png"


def _app_key() -> tuple[str, str]:
    """A throwaway RSA key pair for the fake's GitHub App (private PEM, public PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        key, public = _app_key()
        fake = FakeGitHub(Path(scratch), rest_schemas(), app_id=APP_ID, app_public_key=public).start()
        try:
            fake.add_token(PAT, BOT_LOGIN)
            drive(fake, GitHubForge(Settings(token=PAT, api_url=fake.api_url), None))
            web = Settings(webhook_secret="screenshot", app_id=APP_ID, private_key=key, api_url=fake.api_url,
                           dashboard_token=TOKEN)
            app = create_app(web, redis_client=redis.Redis(port=1))  # the pages never touch Redis
            with served(app) as url, chromium() as browser:
                page = browser.new_page()
                page.goto(url + "/login")
                page.fill("#token", TOKEN)
                page.click("form button[type=submit]")
                page.goto(f"{url}/{REPO}/campaigns/{CAMPAIGN_ID}")
                page.set_viewport_size({"width": 1200, "height": 1240})
                page.screenshot(path=str(OUT))  # the headline, the table, the chart and the latest events
        finally:
            fake.stop()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
