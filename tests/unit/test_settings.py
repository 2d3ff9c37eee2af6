"""settings: parsed once from the environment; a bad value names its variable; secrets stay out of repr."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bot.app import create_app
from bot.settings import MAX_BODY_DEFAULT, Settings, SettingsError

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEfake\n-----END RSA PRIVATE KEY-----\n"


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings == Settings(workdir=tempfile.gettempdir())
    assert settings.api_url == "https://api.github.com"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.bot_name == "migration-bot"
    assert settings.campaign_glob == ".github/migrations/*.yml"
    assert settings.max_body == MAX_BODY_DEFAULT == 25 * 1024 * 1024
    assert (settings.eager, settings.reconcile_seconds) == (False, 300)
    assert (settings.app_id, settings.private_key, settings.token) == (None, None, None)


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "GITHUB_WEBHOOK_SECRET": "hook",
            "GITHUB_TOKEN": "tok",
            "GITHUB_API_URL": "http://127.0.0.1:8080/api/v3/",
            "REDIS_URL": "redis://redis:6379/2",
            "MIGRATION_BOT_NAME": "movebot",
            "MIGRATION_BOT_CAMPAIGN_GLOB": "migrations/*.yaml",
            "MIGRATION_BOT_MAX_BODY": "1024",
            "MIGRATION_BOT_EAGER": "Yes",
            "MIGRATION_BOT_WORKDIR": str(tmp_path),
            "MIGRATION_BOT_RECONCILE_SECONDS": "60",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
            "MIGRATION_BOT_SANDBOX": "None",
        }
    )
    assert settings == Settings(
        webhook_secret="hook",
        token="tok",
        api_url="http://127.0.0.1:8080/api/v3",
        redis_url="redis://redis:6379/2",
        bot_name="movebot",
        campaign_glob="migrations/*.yaml",
        max_body=1024,
        eager=True,
        workdir=str(tmp_path),
        reconcile_seconds=60,
        prometheus_multiproc_dir=str(tmp_path),
        sandbox="none",
    )


def test_app_key_from_variable_with_escaped_newlines() -> None:
    settings = Settings.from_env({"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY": PEM.replace("\n", "\\n")})
    assert (settings.app_id, settings.private_key) == (42, PEM)
    settings.require_github_auth()


def test_app_key_from_file(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    settings = Settings.from_env({"GITHUB_APP_ID": "7", "GITHUB_PRIVATE_KEY_PATH": str(key)})
    assert (settings.app_id, settings.private_key) == (7, PEM)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"MIGRATION_BOT_MAX_BODY": "25MB"}, "MIGRATION_BOT_MAX_BODY"),
        ({"MIGRATION_BOT_MAX_BODY": "0"}, "MIGRATION_BOT_MAX_BODY"),
        ({"MIGRATION_BOT_MAX_BODY": "-5"}, "MIGRATION_BOT_MAX_BODY"),
        ({"MIGRATION_BOT_RECONCILE_SECONDS": "5m"}, "MIGRATION_BOT_RECONCILE_SECONDS"),
        ({"MIGRATION_BOT_EAGER": "maybe"}, "MIGRATION_BOT_EAGER"),
        ({"MIGRATION_BOT_SANDBOX": "docker"}, "MIGRATION_BOT_SANDBOX"),
        ({"MIGRATION_BOT_WORKDIR": "/nonexistent/clones"}, "MIGRATION_BOT_WORKDIR"),
        ({"MIGRATION_BOT_NAME": "migration bot"}, "MIGRATION_BOT_NAME"),
        ({"GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL"),
        ({"GITHUB_API_URL": "https://"}, "GITHUB_API_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"GITHUB_APP_ID": "abc", "GITHUB_PRIVATE_KEY": PEM}, "GITHUB_APP_ID"),
        ({"GITHUB_APP_ID": "0", "GITHUB_PRIVATE_KEY": PEM}, "GITHUB_APP_ID"),
        ({"GITHUB_PRIVATE_KEY": PEM}, "GITHUB_APP_ID"),
        ({"GITHUB_APP_ID": "42"}, "GITHUB_PRIVATE_KEY"),
        ({"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY": "not a key"}, "GITHUB_PRIVATE_KEY"),
        (
            {"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY_PATH": "/nonexistent/key.pem"},
            "GITHUB_PRIVATE_KEY_PATH",
        ),
    ],
)
def test_bad_value_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable + ":")


def test_unreadable_key_file_is_named_without_its_content(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text("garbage that is not a key")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GITHUB_APP_ID": "42", "GITHUB_PRIVATE_KEY_PATH": str(key)})
    assert caught.value.variable == "GITHUB_PRIVATE_KEY_PATH"
    assert "garbage" not in str(caught.value)


def test_empty_variable_counts_as_unset() -> None:
    assert Settings.from_env({"MIGRATION_BOT_MAX_BODY": "", "GITHUB_TOKEN": ""}).max_body == MAX_BODY_DEFAULT


def test_secrets_never_in_repr() -> None:
    settings = Settings(webhook_secret="hook-SECRET", app_id=1, private_key=PEM, token="tok-SECRET")
    text = repr(settings)
    assert "SECRET" not in text
    assert "MIIEfake" not in text
    assert "app_id=1" in text


def test_workers_require_one_auth_mode() -> None:
    with pytest.raises(SettingsError, match="GITHUB_APP_ID") as caught:
        Settings().require_github_auth()
    assert caught.value.variable == "GITHUB_TOKEN"
    Settings(token="t").require_github_auth()


def test_app_refuses_to_start_without_webhook_secret() -> None:
    with pytest.raises(SettingsError) as caught:
        create_app(Settings.from_env({"GITHUB_TOKEN": "t"}))
    assert caught.value.variable == "GITHUB_WEBHOOK_SECRET"


def test_app_refuses_to_start_from_an_environment_without_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET", raising=False)
    with pytest.raises(SettingsError, match="GITHUB_WEBHOOK_SECRET"):
        create_app()


def test_malformed_max_body_stops_app_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("MIGRATION_BOT_MAX_BODY", "lots")
    with pytest.raises(SettingsError, match="MIGRATION_BOT_MAX_BODY"):
        create_app()
