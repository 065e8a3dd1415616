"""The webhooks: verify, parse, dedup, enqueue, answer. No handler code runs in the request.

Zalo wants a 200 within about 2 s and redelivers otherwise, so the request does only what it must
to make the event durable: everything else happens in the worker (bot.conversation.jobs).
"""

from __future__ import annotations

import hmac
import json
import logging
import re

import redis
from flask import Blueprint, Response, current_app, jsonify, request

from bot.storage.redis_server import app_redis
from bot.web import events
from bot.web.queue import Busy, enqueue_event
from bot.web.signature import Check, check_signature

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

MAX_BODY = 64 * 1024


def _answer(status: int, reason: str) -> tuple[Response, int]:
    return jsonify({"ok": status == 200, "reason": reason}), status


def _read_body() -> bytes | None:
    """The raw body, or None when it is larger than 64 KiB (read no further than that)."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        return None
    body = request.stream.read(MAX_BODY + 1)
    return None if len(body) > MAX_BODY else body


# An escaped NUL (\u0000, not preceded by another backslash): PostgreSQL can store it neither in
# text nor in jsonb, so such an event would fail in the worker forever. No Zalo client sends one.
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _decode(raw: bytes) -> tuple[str, object]:
    """(the body as text, its JSON value); the value is None when it is not JSON we can store."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "", None
    if _ESCAPED_NUL.search(text):
        return text, None
    try:
        return text, json.loads(text)
    except (ValueError, RecursionError):
        return text, None


def _queue(event, body: str) -> tuple[Response, int]:
    conn = app_redis(current_app)
    channel = event.channel
    try:
        fresh = enqueue_event(conn, event, body)
    except Busy:
        return _answer(503, "busy")
    except redis.RedisError as exc:
        log.error("webhook.queue_unavailable", extra={"error": type(exc).__name__})
        return _answer(503, "queue unavailable")
    log.info(
        "webhook.accepted" if fresh else "webhook.duplicate",
        extra={"channel": channel, "event": event.event_name},
    )
    return _answer(200, "queued" if fresh else "duplicate")


@bp.post("/webhook/zalo")
def zalo_oa():
    settings = current_app.config["SETTINGS"]
    raw = _read_body()
    if raw is None:
        return _answer(413, "body over 64 KiB")
    header = request.headers.get("X-ZEvent-Signature")
    verdict = check_signature(raw, header, settings.zalo_app_id or "", settings.zalo_oa_secret_key or "",
                              max_age=settings.webhook_max_age)
    if verdict is not Check.OK:
        log.warning("webhook.refused", extra={"why": verdict.value, "has_header": bool(header), "bytes": len(raw)})
        return _answer(401, verdict.value)
    body, payload = _decode(raw)
    if not isinstance(payload, dict):
        return _answer(400, "not JSON")
    app_id = payload.get("app_id")
    if app_id is not None and str(app_id) != settings.zalo_app_id:
        log.warning("webhook.wrong_app_id")
        return _answer(401, "wrong app id")
    try:
        event = events.parse_event(payload)
    except events.InvalidEvent as exc:
        log.warning("webhook.invalid_event", extra={"why": str(exc)})
        return _answer(400, "not a Zalo event")
    if isinstance(event, events.Unknown):
        log.info("webhook.ignored", extra={"event": event.event_name})
        return _answer(200, "ignored")
    return _queue(event, body)


@bp.post("/webhook/zalo-bot")
def zalo_bot():
    settings = current_app.config["SETTINGS"]
    raw = _read_body()
    if raw is None:
        return _answer(413, "body over 64 KiB")
    secret = settings.zalo_bot_secret or ""
    given = request.headers.get("X-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(secret.encode(), given.encode()):
        log.warning("webhook.bot_bad_secret")
        return _answer(401, "bad secret token")
    body, payload = _decode(raw)
    try:
        event = events.parse_bot_update(payload)
    except events.InvalidEvent:
        return _answer(400, "not a Zalo Bot update")
    if isinstance(event, events.Unknown):
        return _answer(200, "ignored")
    return _queue(event, body)
