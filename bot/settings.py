"""Configuration: one frozen Settings built once from the environment; a bad value names its variable.

Every variable, with its default (the README repeats this table):

================================  ==============================  ==================================================
variable                          default                         meaning
================================  ==============================  ==================================================
GITHUB_WEBHOOK_SECRET             (none; the web app requires it) HMAC key for ``X-Hub-Signature-256``
GITHUB_APP_ID                     (none)                          GitHub App id (a positive integer)
GITHUB_PRIVATE_KEY                (none)                          the App's PEM private key (``\\n`` escapes allowed)
GITHUB_PRIVATE_KEY_PATH           (none)                          file holding that key, read once at start-up
GITHUB_TOKEN                      (none)                          personal/installation token, the simple alternative
GITHUB_API_URL                    https://api.github.com          REST root (GitHub Enterprise, the tests' fake)
REDIS_URL                         redis://127.0.0.1:6379/0        Celery broker, result backend, delivery dedupe
MIGRATION_BOT_NAME                migration-bot                   the name comment commands address
MIGRATION_BOT_CAMPAIGN_GLOB       .github/migrations/*.yml        where campaign files live in a repository
MIGRATION_BOT_MAX_BODY            26214400 (25 MiB, GitHub's cap) largest webhook body accepted, in bytes
MIGRATION_BOT_EAGER               false                           run tasks in-process (the offline demo)
MIGRATION_BOT_WORKDIR             the system temp directory       root for the per-task temporary clones
MIGRATION_BOT_RECONCILE_SECONDS   300                             period of the reconcile beat task
MIGRATION_BOT_SANDBOX             bwrap                           how workers run a repository's code: ``bwrap``
                                                                  (bubblewrap sandbox; without a usable bwrap no
                                                                  repository code runs) or ``none`` (a plain
                                                                  subprocess: trusted single-tenant installs only)
PROMETHEUS_MULTIPROC_DIR          (none)                          prometheus-client's multi-process directory
GITHUB_CLIENT_ID                  (none)                          the App's OAuth client id: web dashboard sign-in
GITHUB_CLIENT_SECRET              (none)                          the App's OAuth client secret (with the id)
MIGRATION_BOT_DASHBOARD_TOKEN     (none)                          shared token for the web dashboard (private install)
MIGRATION_BOT_SESSION_SECRET      derived from the webhook secret key signing the dashboard's session cookie
================================  ==============================  ==================================================

Workers need one auth mode: GITHUB_APP_ID with GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH, or GITHUB_TOKEN.
An empty variable counts as unset. Secrets never appear in ``repr()``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MAX_BODY_DEFAULT = 25 * 1024 * 1024
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
SANDBOX_MODES = ("bwrap", "none")  #: bot.sandbox.MODES


class SettingsError(ValueError):
    """A missing or malformed setting; ``variable`` names the environment variable at fault."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Everything the web app and the workers read from the environment, parsed and checked once."""

    webhook_secret: str = field(default="", repr=False)
    app_id: int | None = None
    private_key: str | None = field(default=None, repr=False)  #: PEM text, from the variable or the file
    token: str | None = field(default=None, repr=False)
    api_url: str = "https://api.github.com"
    redis_url: str = "redis://127.0.0.1:6379/0"
    bot_name: str = "migration-bot"
    campaign_glob: str = ".github/migrations/*.yml"
    max_body: int = MAX_BODY_DEFAULT
    eager: bool = False
    workdir: str = field(default_factory=tempfile.gettempdir)
    reconcile_seconds: int = 300
    prometheus_multiproc_dir: str | None = None
    oauth_client_id: str | None = None  #: the web dashboard signs people in through the App's OAuth flow
    oauth_client_secret: str | None = field(default=None, repr=False)
    dashboard_token: str | None = field(default=None, repr=False)  #: shared dashboard token (private installs)
    session_secret: str | None = field(default=None, repr=False)
    sandbox: str = "bwrap"  #: "bwrap" or "none" (see bot.sandbox)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse `environ` (default ``os.environ``); raises SettingsError naming the first bad variable.

        Missing secrets are not an error here: the web app and the workers each require what they use
        (``require_webhook_secret``, ``require_github_auth``), so the demo runs without either.
        """
        env = {k: v for k, v in (os.environ if environ is None else environ).items() if v != ""}
        app_id, private_key = _app_auth(env)
        return cls(
            webhook_secret=env.get("GITHUB_WEBHOOK_SECRET", ""),
            app_id=app_id,
            private_key=private_key,
            token=env.get("GITHUB_TOKEN"),
            api_url=_url(env, "GITHUB_API_URL", cls.api_url, ("http://", "https://")).rstrip("/"),
            redis_url=_url(env, "REDIS_URL", cls.redis_url, ("redis://", "rediss://", "unix://")),
            bot_name=_word(env, "MIGRATION_BOT_NAME", cls.bot_name),
            campaign_glob=_word(env, "MIGRATION_BOT_CAMPAIGN_GLOB", cls.campaign_glob),
            max_body=_positive_int(env, "MIGRATION_BOT_MAX_BODY", MAX_BODY_DEFAULT),
            eager=_flag(env, "MIGRATION_BOT_EAGER", False),
            workdir=_directory(env, "MIGRATION_BOT_WORKDIR"),
            reconcile_seconds=_positive_int(env, "MIGRATION_BOT_RECONCILE_SECONDS", 300),
            prometheus_multiproc_dir=_optional_directory(env, "PROMETHEUS_MULTIPROC_DIR"),
            **_dashboard_auth(env),
            sandbox=_choice(env, "MIGRATION_BOT_SANDBOX", cls.sandbox, SANDBOX_MODES),
        )

    def require_webhook_secret(self) -> bytes:
        """The secret as bytes; the web app refuses to start without one (unsigned deliveries never pass)."""
        if not self.webhook_secret:
            raise SettingsError("GITHUB_WEBHOOK_SECRET", "required by the web app and not set")
        return self.webhook_secret.encode()

    def session_key(self) -> bytes:
        """Key signing the dashboard's session cookie: the setting, else one derived from the webhook secret
        (so a deployment needs no extra secret, and the cookie key never equals the webhook key)."""
        if self.session_secret:
            return self.session_secret.encode()
        return hmac.new(self.require_webhook_secret(), b"migration-bot dashboard session", hashlib.sha256).digest()

    def require_github_auth(self) -> None:
        """Workers talking to GitHub need an App (id + key) or a token; raises naming what is missing."""
        if self.app_id is None and not self.token:
            raise SettingsError(
                "GITHUB_TOKEN",
                "no GitHub credentials: set GITHUB_APP_ID with GITHUB_PRIVATE_KEY or "
                "GITHUB_PRIVATE_KEY_PATH, or set GITHUB_TOKEN",
            )


def _app_auth(env: Mapping[str, str]) -> tuple[int | None, str | None]:
    """(app id, PEM) when App auth is configured, (None, None) when not; half a configuration is an error."""
    raw_id = env.get("GITHUB_APP_ID")
    key_text, key_path = env.get("GITHUB_PRIVATE_KEY"), env.get("GITHUB_PRIVATE_KEY_PATH")
    if raw_id is None:
        if key_text is not None or key_path is not None:
            raise SettingsError("GITHUB_APP_ID", "a private key is set but the App id is not")
        return None, None
    if not raw_id.strip().isdigit() or int(raw_id) <= 0:
        raise SettingsError("GITHUB_APP_ID", f"must be a positive integer, got {raw_id!r}")
    if key_text is not None:
        return int(raw_id), _pem("GITHUB_PRIVATE_KEY", key_text.replace("\\n", "\n"))
    if key_path is None:
        raise SettingsError("GITHUB_PRIVATE_KEY", "GITHUB_APP_ID is set: set this or GITHUB_PRIVATE_KEY_PATH")
    try:
        text = Path(key_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(
            "GITHUB_PRIVATE_KEY_PATH", f"cannot read {key_path!r}: {exc.strerror or exc}"
        ) from None
    return int(raw_id), _pem("GITHUB_PRIVATE_KEY_PATH", text)


def _dashboard_auth(env: Mapping[str, str]) -> dict[str, str | None]:
    """The dashboard's sign-in settings; an OAuth client id without its secret (or the reverse) is an error."""
    client_id, client_secret = env.get("GITHUB_CLIENT_ID"), env.get("GITHUB_CLIENT_SECRET")
    if (client_id is None) != (client_secret is None):
        missing = "GITHUB_CLIENT_SECRET" if client_secret is None else "GITHUB_CLIENT_ID"
        raise SettingsError(missing, "the dashboard's OAuth sign-in needs both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET")
    token = env.get("MIGRATION_BOT_DASHBOARD_TOKEN")
    if token is not None and len(token) < 16:
        raise SettingsError("MIGRATION_BOT_DASHBOARD_TOKEN", "must be at least 16 characters long")
    return {"oauth_client_id": client_id, "oauth_client_secret": client_secret, "dashboard_token": token,
            "session_secret": env.get("MIGRATION_BOT_SESSION_SECRET")}


def _pem(variable: str, text: str) -> str:
    # Checked only for shape; the value itself never goes into a message.
    if "-----BEGIN" not in text or "PRIVATE KEY-----" not in text:
        raise SettingsError(variable, "is not a PEM private key")
    return text


def _url(env: Mapping[str, str], variable: str, default: str, schemes: tuple[str, ...]) -> str:
    value = env.get(variable, default)
    if not any(value.startswith(scheme) and len(value) > len(scheme) for scheme in schemes):
        raise SettingsError(variable, f"must be a URL starting with one of {', '.join(schemes)}")
    return value


def _word(env: Mapping[str, str], variable: str, default: str) -> str:
    value = env.get(variable, default)
    if value.strip() != value or any(c.isspace() for c in value):
        raise SettingsError(variable, f"must not contain whitespace, got {value!r}")
    return value


def _positive_int(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = env.get(variable)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise SettingsError(variable, f"must be a positive integer, got {raw!r}")
    return int(raw)


def _choice(env: Mapping[str, str], variable: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(variable, default).strip().lower()
    if value not in choices:
        raise SettingsError(variable, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _flag(env: Mapping[str, str], variable: str, default: bool) -> bool:
    raw = env.get(variable)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise SettingsError(variable, f"must be true or false, got {raw!r}")


def _directory(env: Mapping[str, str], variable: str) -> str:
    return _optional_directory(env, variable) or tempfile.gettempdir()


def _optional_directory(env: Mapping[str, str], variable: str) -> str | None:
    path = env.get(variable)
    if path is not None and not Path(path).is_dir():
        raise SettingsError(variable, f"{path!r} is not an existing directory")
    return path
