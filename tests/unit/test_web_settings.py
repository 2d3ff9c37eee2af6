"""The dashboard's settings: OAuth credentials come in pairs, the shared token is long, the session key is derived."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


@pytest.mark.parametrize(("env", "variable"), [
    ({"GITHUB_CLIENT_ID": "Iv1.abc"}, "GITHUB_CLIENT_SECRET"),
    ({"GITHUB_CLIENT_SECRET": "s"}, "GITHUB_CLIENT_ID"),
    ({"MIGRATION_BOT_DASHBOARD_TOKEN": "short"}, "MIGRATION_BOT_DASHBOARD_TOKEN"),
])
def test_bad_dashboard_settings_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == variable


def test_dashboard_settings_are_read_and_never_shown() -> None:
    settings = Settings.from_env({"GITHUB_CLIENT_ID": "Iv1.abc", "GITHUB_CLIENT_SECRET": "client-secret",
                                  "MIGRATION_BOT_DASHBOARD_TOKEN": "t" * 20, "MIGRATION_BOT_SESSION_SECRET": "k" * 40})
    assert (settings.oauth_client_id, settings.oauth_client_secret) == ("Iv1.abc", "client-secret")
    assert settings.dashboard_token == "t" * 20 and settings.session_key() == b"k" * 40
    assert "client-secret" not in repr(settings) and "t" * 20 not in repr(settings)
    assert Settings.from_env({}).dashboard_token is None  # nothing set: no dashboard sign-in at all


def test_session_key_is_derived_from_the_webhook_secret_when_unset() -> None:
    one, same = Settings(webhook_secret="hook"), Settings(webhook_secret="hook")
    assert one.session_key() == same.session_key() != b"hook"
    assert Settings(webhook_secret="other").session_key() != one.session_key()
    with pytest.raises(SettingsError):
        Settings().session_key()
