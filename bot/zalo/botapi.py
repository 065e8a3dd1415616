"""The Zalo Bot platform client (Telegram-like): ``POST {base}/bot<TOKEN>/<method>`` with JSON.

Answers are ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}``;
both ``ok`` and the HTTP status are checked (docs/zalo-platform.md#zalo-bot-platform). The token is part of
the URL, so no URL, and no exception that carries one, ever reaches a log line.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import requests

from bot.zalo.errors import Permanent, RateLimited, Transient, ZaloError

log = logging.getLogger(__name__)

MAX_TEXT = 2000
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s\"']+/")


class _RedactBotToken(logging.Filter):
    """urllib3 logs request lines at DEBUG, and ours have the bot token in the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and not isinstance(record.args, dict):
            record.args = tuple(_TOKEN_IN_PATH.sub("/bot<redacted>/", a) if isinstance(a, str)
                                else a for a in (record.args if isinstance(record.args, tuple)
                                                 else (record.args,)))
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub("/bot<redacted>/", record.msg)
        return True


def _install_redaction() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactBotToken) for f in logger.filters):
        logger.addFilter(_RedactBotToken())


_install_redaction()


class BotUnauthorized(Permanent):
    """The bot token was refused (401): it was reset or mistyped; no refresh exists."""


def _bot_error(code: int, description: str, http_status: int) -> ZaloError:
    if code == 401 or http_status == 401:
        return BotUnauthorized(401, description or "Unauthorized", http_status=http_status)
    if code == 429 or http_status == 429:
        return RateLimited(code or 429, description, http_status=http_status)
    if code >= 500 or http_status >= 500 or code == 408:
        return Transient(code or http_status, description, http_status=http_status)
    return Permanent(code or http_status, description, http_status=http_status)


class BotClient:
    """Calls to the Zalo Bot API with ``settings.zalo_bot_token``."""

    def __init__(self, settings, session: requests.Session | None = None):
        if not settings.zalo_bot_token:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        self.settings = settings
        self._token = settings.zalo_bot_token
        self.base = settings.zalo_bot_api_url.rstrip("/")
        self._own_session = session is None
        self.session = session or requests.Session()
        self.timeout = (min(5.0, settings.zalo_timeout), settings.zalo_timeout)

    def send_message(self, chat_id: str, text: str) -> str:
        """Send 1–2000 characters to a chat (private or group); returns the message_id."""
        text = unicodedata.normalize("NFC", text)
        if not 1 <= len(text) <= MAX_TEXT or not text.strip():
            raise ValueError(f"Bot message text must be 1-{MAX_TEXT} characters")
        result = self._call("sendMessage", {"chat_id": str(chat_id), "text": text})
        return str(result["message_id"]) if isinstance(result, dict) else str(result)

    def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> str:
        body = {"chat_id": str(chat_id), "photo": photo_url}
        if caption:
            body["caption"] = unicodedata.normalize("NFC", caption)[:MAX_TEXT]
        result = self._call("sendPhoto", body)
        return str(result["message_id"]) if isinstance(result, dict) else str(result)

    def get_me(self) -> dict:
        return self._call("getMe", {})

    def set_webhook(self, url: str, secret: str) -> dict:
        """Register the HTTPS webhook; Zalo sends ``secret`` as ``X-Bot-Api-Secret-Token``."""
        if not 8 <= len(secret) <= 256:
            raise ValueError("secret_token must be 8-256 characters")
        return self._call("setWebhook", {"url": url, "secret_token": secret})

    def delete_webhook(self) -> dict:
        return self._call("deleteWebhook", {})

    def get_webhook_info(self) -> dict:
        return self._call("getWebhookInfo", {})

    def get_updates(self, timeout: int = 30) -> dict | None:
        """One update, or None when the long poll ended empty (408)."""
        try:
            return self._call("getUpdates", {"timeout": str(timeout)},
                              read_timeout=timeout + self.settings.zalo_timeout)
        except Transient as exc:
            if exc.code == 408:
                return None
            raise

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method: str, body: dict, read_timeout: float | None = None):
        url = f"{self.base}/bot{self._token}/{method}"
        timeout = self.timeout if read_timeout is None else (self.timeout[0], read_timeout)
        try:
            response = self.session.post(url, json=body, timeout=timeout)
        except requests.Timeout:
            raise Transient(0, f"timeout calling Bot API {method}") from None
        except requests.RequestException as exc:  # its text holds the URL, hence the token
            raise Transient(0, f"{type(exc).__name__} calling Bot API {method}") from None
        with response:
            status = response.status_code
            try:
                payload = response.json()
            except ValueError:
                payload = None
        if status == 200 and isinstance(payload, dict) and payload.get("ok") is True:
            return payload.get("result")
        if isinstance(payload, dict):
            code = payload.get("error_code")
            error = _bot_error(int(code) if isinstance(code, int) or str(code).isdigit() else 0,
                               str(payload.get("description") or ""), status)
        else:
            error = _bot_error(0, f"HTTP {status}", status)
        log.warning("Zalo Bot API error", extra={"bot_method": method, "zalo_error": error.code,
                                                 "zalo_message": error.message})
        raise error


__all__ = ["BotClient", "BotUnauthorized"]
