"""Settings from the environment (or a ``.env`` file): the only module that reads os.environ."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    """The process environment over the values of ``.env`` (the environment wins)."""
    values = {k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None}
    values.update(os.environ)
    return values


@dataclass(frozen=True)
class Settings:
    """Everything the web process, workers and CLI need to know about their surroundings."""

    redis_url: str | None = None  # None: the embedded redis-server on var/redis.sock
    database_url: str = f"sqlite:///{ROOT / 'instance' / 'bot.db'}"
    port: int = 8000
    var_dir: Path = ROOT / "var"
    secret_key: str = "dev-only-secret-change-me"  # signs export links
    public_url: str = "http://127.0.0.1:8000"  # base of links sent in chat
    log_level: str = "INFO"

    zalo_app_id: str | None = None
    zalo_app_secret: str | None = None
    zalo_oa_secret_key: str | None = None
    zalo_refresh_token: str | None = None
    zalo_openapi_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_bot_token: str | None = None
    zalo_bot_secret: str | None = None
    zalo_bot_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_timeout: float = 10.0

    # The demo chat page (/demo): on when `make run` started the local Zalo simulator.
    demo_chat: bool = False
    # RQ worker class: "simple" runs jobs in the worker process, "fork" forks a child per job.
    worker_class: str = "simple"
    # A signed OA event dated further than this from now is refused (a replay); Zalo's own
    # redeliveries come within hours (docs/zalo-platform.md#webhook-answer-and-redelivery).
    webhook_max_age: timedelta = timedelta(hours=24)
    # Replies to one person are throttled past this many a minute (the webhook never is).
    reply_limit_per_minute: int = 20

    @property
    def simulator_mode(self) -> bool:
        """No Zalo credentials: talk to the local Zalo simulator instead."""
        return not (self.zalo_app_id and self.zalo_app_secret)

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = _env() if environ is None else environ
        defaults = cls()

        def get(name: str, default=None):
            value = env.get(name)
            return value if value not in (None, "") else default

        return cls(
            redis_url=get("REDIS_URL"),
            database_url=get("DATABASE_URL", defaults.database_url),
            port=int(get("PORT", defaults.port)),
            var_dir=Path(get("VAR_DIR", defaults.var_dir)),
            secret_key=get("SECRET_KEY", defaults.secret_key),
            public_url=get("PUBLIC_URL", defaults.public_url).rstrip("/"),
            log_level=get("LOG_LEVEL", defaults.log_level),
            zalo_app_id=get("ZALO_APP_ID"),
            zalo_app_secret=get("ZALO_APP_SECRET"),
            zalo_oa_secret_key=get("ZALO_OA_SECRET_KEY"),
            zalo_refresh_token=get("ZALO_REFRESH_TOKEN"),
            zalo_openapi_url=get("ZALO_OPENAPI_URL", defaults.zalo_openapi_url).rstrip("/"),
            zalo_oauth_url=get("ZALO_OAUTH_URL", defaults.zalo_oauth_url).rstrip("/"),
            zalo_bot_token=get("ZALO_BOT_TOKEN"),
            zalo_bot_secret=get("ZALO_BOT_SECRET"),
            zalo_bot_api_url=get("ZALO_BOT_API_URL", defaults.zalo_bot_api_url).rstrip("/"),
            zalo_timeout=float(get("ZALO_TIMEOUT", defaults.zalo_timeout)),
            demo_chat=get("DEMO_CHAT", "0") in ("1", "true", "yes"),
            worker_class=get("WORKER_CLASS", defaults.worker_class),
            webhook_max_age=timedelta(seconds=int(get("WEBHOOK_MAX_AGE", defaults.webhook_max_age.total_seconds()))),
            reply_limit_per_minute=int(
                get("REPLY_LIMIT_PER_MINUTE", defaults.reply_limit_per_minute)
            ),
        )


_cached: dict[tuple, Settings] = {}


def current_settings() -> Settings:
    """``Settings.from_env()``, built once per distinct environment and ``.env`` file.

    Settings are frozen, so a process may keep them; the key is the environment itself and the
    ``.env`` file's modification time, so a changed variable (tests set them per test) or an
    edited ``.env`` still yields fresh settings."""
    try:
        stamp = (ROOT / ".env").stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (stamp, tuple(os.environ.items()))
    settings = _cached.get(key)
    if settings is None:
        if len(_cached) >= 16:
            _cached.clear()
        settings = _cached[key] = Settings.from_env()
    return settings
