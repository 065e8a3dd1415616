"""The Zalo OA Open API client: one ``requests.Session``, explicit timeouts, typed errors.

Zalo reports failures as HTTP-200 bodies ``{"error": <neg>, "message": ...}``; they become the
classes of ``bot.zalo.errors``. ``-216``/``-220`` refresh the token once (single-flight, see
``oauth.py``) and retry once. The transport retries connection failures of GETs only: a POST
send that may have reached Zalo is never resent blindly (docs/zalo-platform.md#oa-open-api-calls,
#error-codes, #access-and-refresh-tokens).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import unicodedata

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bot.zalo.errors import (
    Permanent,
    RateLimited,
    TokenInvalid,
    Transient,
    ZaloError,
    classify,
    for_http_status,
)

log = logging.getLogger(__name__)

MAX_TEXT = 2000


class _IdempotentRetry(Retry):
    """urllib3 Retry that only ever retries the methods in ``allowed_methods`` (GET).

    Plain Retry retries connect errors for any method; for a POST send we want none."""

    def increment(self, method=None, url=None, *args, **kwargs):
        if method and method.upper() not in (self.allowed_methods or ()):
            return Retry(total=0, raise_on_status=False).increment(method, url, *args, **kwargs)
        return super().increment(method, url, *args, **kwargs)


def build_session(retries: int = 2) -> requests.Session:
    """A Session whose transport retries connection errors of idempotent GETs only."""
    session = requests.Session()
    retry = _IdempotentRetry(total=retries, connect=retries, read=retries, status=0, other=0,
                             allowed_methods=frozenset({"GET"}), backoff_factor=0.2,
                             raise_on_status=False, respect_retry_after_header=False)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class OAClient:
    """Calls to the OA Open API (``settings.zalo_openapi_url``) with tokens from ``tokens``."""

    def __init__(self, settings, tokens, session: requests.Session | None = None):
        self.settings = settings
        self.tokens = tokens
        self._own_session = session is None
        self.session = session or build_session()
        self.base = settings.zalo_openapi_url.rstrip("/")
        self.timeout = (min(5.0, settings.zalo_timeout), settings.zalo_timeout)

    # -- messages -----------------------------------------------------------------------
    def send_text(self, user_id: str, text: str, quote_message_id: str | None = None) -> str:
        """Send a CS text to ``user_id``; returns Zalo's message_id.

        Quoting a message Zalo does not know gives -201: the text is then sent once unquoted."""
        text = _checked_text(text)
        message = {"text": text}
        if quote_message_id:
            message["quote_message_id"] = str(quote_message_id)
        try:
            data = self._post("/v3.0/oa/message/cs",
                              {"recipient": {"user_id": str(user_id)}, "message": message})
        except Permanent as exc:
            if exc.code != -201 or not quote_message_id:
                raise
            log.info("quoted reply refused, sending it unquoted",
                     extra={"zalo_error": exc.code, "zalo_message": exc.message})
            data = self._post("/v3.0/oa/message/cs",
                              {"recipient": {"user_id": str(user_id)}, "message": {"text": text}})
        return _message_id(data)

    def send_group_text(self, group_id: str, text: str) -> str:
        """Send a text into an OA-owned (GMF) group; returns the message_id."""
        data = self._post("/v3.0/oa/group/message",
                          {"recipient": {"group_id": str(group_id)},
                           "message": {"text": _checked_text(text)}})
        return _message_id(data)

    def send_image(self, user_id: str, attachment_id: str, caption: str | None = None) -> str:
        """Send an uploaded image (``upload_image``) to a user; AttachmentExpired after 7 days."""
        message = _image_message(attachment_id)
        if caption:
            message["text"] = _checked_text(caption)
        data = self._post("/v3.0/oa/message/cs",
                          {"recipient": {"user_id": str(user_id)}, "message": message})
        return _message_id(data)

    def send_group_image(self, group_id: str, attachment_id: str) -> str:
        data = self._post("/v3.0/oa/group/message",
                          {"recipient": {"group_id": str(group_id)},
                           "message": _image_message(attachment_id)})
        return _message_id(data)

    def upload_image(self, png: bytes, filename: str = "image.png") -> str:
        """Upload a jpg/png of at most 1 MB; returns its attachment_id (valid about 7 days)."""
        content_type = mimetypes.guess_type(filename)[0] or "image/png"
        data = self._call("POST", "/v2.0/oa/upload/image",
                          files={"file": (filename, png, content_type)})
        attachment_id = data.get("attachment_id") if isinstance(data, dict) else None
        if not attachment_id:
            raise Permanent(0, "upload answered without an attachment_id")
        return str(attachment_id)

    # -- reads ----------------------------------------------------------------------------
    def user_detail(self, user_id: str) -> dict:
        """The user's profile (docs/zalo-platform.md#oa-open-api-calls); a non-follower gives WindowClosed(-213)."""
        return self._call("GET", "/v3.0/oa/user/detail",
                          params={"data": json.dumps({"user_id": str(user_id)})})

    def followers(self, offset: int = 0, count: int = 50) -> dict:
        return self._call("GET", "/v3.0/oa/user/getlist", params={"data": json.dumps(
            {"offset": offset, "count": count, "is_follower": True})})

    def get_oa(self) -> dict:
        """The OA's own info (oa_id, name, …): a cheap health check of the credentials."""
        return self._call("GET", "/v2.0/oa/getoa")

    def quota(self, user_id: str) -> dict:
        """The per-user quota / last interaction (shape only reported: docs/zalo-platform.md#oa-open-api-calls)."""
        return self._post("/v3.0/oa/quota/message", {"user_id": str(user_id)})

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- plumbing -------------------------------------------------------------------------
    def _post(self, path: str, body: dict) -> dict:
        return self._call("POST", path, json=body)

    def _call(self, method: str, path: str, **kwargs) -> dict:
        """One API call; on an invalid/expired token, refresh once and retry once."""
        token = self.tokens.access_token()
        try:
            return self._request(method, path, token, **kwargs)
        except TokenInvalid as exc:
            log.info("Zalo refused the access token, refreshing once",
                     extra={"zalo_error": exc.code, "zalo_path": path})
            token = self.tokens.refresh(token)
            return self._request(method, path, token, **kwargs)

    def _request(self, method: str, path: str, token: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, self.base + path,
                                            headers={"access_token": token},
                                            timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise Transient(0, f"timeout calling {path}") from None
        except requests.RequestException as exc:
            raise Transient(0, f"{type(exc).__name__} calling {path}") from None
        with response:
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = None
        code = _int(body.get("error", 0)) if isinstance(body, dict) else 0
        if code != 0:
            error = classify(code, str(body.get("message", "")), http_status=status)
            if status == 429 and not isinstance(error, RateLimited):
                error = RateLimited(error.code, error.message, http_status=status)
            elif status >= 500 and not isinstance(error, TokenInvalid):
                error = Transient(error.code, error.message, http_status=status)
            _log_error(path, error)
            raise error
        if status != 200:
            error = for_http_status(status, f"HTTP {status} from {path}")
            _log_error(path, error)
            raise error
        if not isinstance(body, dict):
            raise Transient(0, f"{path} answered 200 without a JSON object")
        data = body.get("data")
        return data if isinstance(data, dict) else {}


def _checked_text(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    text = nfc(text)
    if not text.strip():
        raise ValueError("empty message text")
    if len(text) > MAX_TEXT:
        raise ValueError(f"message text is {len(text)} characters; Zalo takes {MAX_TEXT} "
                         "(use bot.zalo.split.split_message)")
    return text


def _image_message(attachment_id: str) -> dict:
    return {"attachment": {"type": "template", "payload": {
        "template_type": "media",
        "elements": [{"media_type": "image", "attachment_id": str(attachment_id)}]}}}


def _message_id(data: dict) -> str:
    message_id = data.get("message_id")
    if not message_id:
        raise Permanent(0, "send answered without a message_id")
    return str(message_id)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _log_error(path: str, error: ZaloError) -> None:
    log.warning("Zalo API error", extra={"zalo_path": path, "zalo_error": error.code,
                                         "zalo_message": error.message,
                                         "zalo_class": type(error).__name__})


__all__ = ["OAClient", "build_session"]
