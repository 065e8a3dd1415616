"""The Zalo Bot API: ``/bot<token>/<method>``, Telegram-style (docs/zalo-platform.md, "Zalo Bot
platform").

Parameters come as a JSON, urlencoded or multipart body, or a query string; answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}``. Sends answer
the sent ``Message`` in the shape of an inbound update's message, which clients parse.
``getUpdates`` hands out one queued update per call, waiting at most ``bot_long_poll_cap``.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from bot.zalo.sim.common import json_body, nfc_len
from bot.zalo.sim.state import MAX_TEXT, SimState, sim_state

bp = Blueprint("zalo_sim_botapi", __name__)

BOT_NAME = "Bot Chi hội (simulator)"


def _bot_ok(result) -> Response:
    return jsonify({"ok": True, "result": result})


def _bot_err(code: int, description: str, status: int = 200) -> Response:
    response = jsonify({"ok": False, "error_code": code, "description": description})
    response.status_code = status
    return response


def _bot_params() -> dict:
    """A method's parameters however a client sends them, as Telegram-style APIs take them:
    the query string, then a JSON, urlencoded or multipart body (the body wins)."""
    params = request.args.to_dict()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.update(request.form.to_dict())
    else:
        params.update(json_body())
    return params


def _bot_id(state: SimState) -> str:
    return state.config.bot_token.split(":", 1)[0]


@bp.route("/bot<token>/<method>", methods=["GET", "POST"])
def bot_api(token: str, method: str):
    state = sim_state()
    if token != state.config.bot_token:
        return _bot_err(401, "Unauthorized", state.config.bot_unauthorized_status)
    body = _bot_params()
    handler = BOT_METHODS.get(method)
    if handler is None:
        return _bot_err(404, "Not Found", 404)
    return handler(state, body)


def bot_get_me(state: SimState, _body: dict) -> Response:
    return _bot_ok({"id": _bot_id(state), "account_name": BOT_NAME, "account_type": "BASIC",
                    "can_join_groups": False})


def bot_get_updates(state: SimState, body: dict) -> Response:
    with state.lock:
        if state.bot_webhook["url"]:
            return _bot_err(409, "Conflict: webhook is set, getUpdates is disabled")
        cap = state.config.bot_long_poll_cap
        try:
            wait = min(float(body.get("timeout", 30)), cap)
        except (TypeError, ValueError):
            wait = cap
        deadline = time.monotonic() + max(wait, 0)
        while not state.bot_updates:
            left = deadline - time.monotonic()
            if left <= 0:
                return _bot_err(408, "Request timeout")
            state.updates_ready.wait(left)
        return _bot_ok(state.bot_updates.pop(0))


def bot_set_webhook(state: SimState, body: dict) -> Response:
    url, secret = body.get("url"), body.get("secret_token")
    if not isinstance(url, str) or not url.startswith("https://"):
        return _bot_err(400, "Bad Request: url must be HTTPS")
    if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
        return _bot_err(400, "Bad Request: secret_token must be 8-256 characters")
    with state.lock:
        state.bot_webhook = {"url": url, "secret_token": secret, "updated_at": state.now_ms()}
        return _bot_ok({"url": url, "updated_at": state.bot_webhook["updated_at"]})


def bot_delete_webhook(state: SimState, _body: dict) -> Response:
    with state.lock:
        state.bot_webhook = {"url": "", "secret_token": None, "updated_at": state.now_ms()}
        return _bot_ok({"url": "", "updated_at": state.bot_webhook["updated_at"]})


def bot_get_webhook_info(state: SimState, _body: dict) -> Response:
    with state.lock:
        return _bot_ok({"url": state.bot_webhook["url"],
                        "updated_at": state.bot_webhook["updated_at"]})


def _send_refusal(body: dict, kind: str, text) -> Response | None:
    if not body.get("chat_id"):
        return _bot_err(400, "Bad Request: chat_id is required")
    if kind == "text" and (not isinstance(text, str) or not 1 <= nfc_len(text) <= MAX_TEXT):
        return _bot_err(400, "Bad Request: text must be 1-2000 characters")
    if kind == "photo":
        if not isinstance(body.get("photo"), str) or not body["photo"]:
            return _bot_err(400, "Bad Request: photo is required")
        if text is not None and (not isinstance(text, str) or nfc_len(text) > MAX_TEXT):
            return _bot_err(400, "Bad Request: caption is too long")
    return None


def _bot_send(state: SimState, body: dict, kind: str) -> Response:
    """sendMessage (``kind`` "text") or sendPhoto ("photo"): record it, answer the Message."""
    text = body.get("text") if kind == "text" else body.get("caption")
    if (bad := _send_refusal(body, kind, text)) is not None:
        return bad
    chat_id = str(body["chat_id"])
    with state.lock:
        message_id = state.new_id()
        date = state.now_ms()
        chat_type = state.bot_chats.get(chat_id, "PRIVATE")
        state.record({"channel": "bot", "path": f"/bot<token>/{request.path.rsplit('/', 1)[-1]}",
                      "recipient": chat_id, "chat_id": chat_id, "text": text,
                      "photo": body.get("photo") if kind == "photo" else None,
                      "quote_message_id": None, "attachment_id": None,
                      "message_id": message_id, "at": str(date), "billable": False})
    message = {"message_id": message_id, "date": date,
               "chat": {"id": chat_id, "chat_type": chat_type},
               "from": {"id": _bot_id(state), "display_name": BOT_NAME, "is_bot": True},
               "message_type": "CHAT_MESSAGE" if kind == "text" else "CHAT_PHOTO"}
    if kind == "text":
        message["text"] = text
    else:
        message["photo_url"] = body["photo"]
        if text is not None:
            message["caption"] = text
    return _bot_ok(message)


BOT_METHODS = {
    "getMe": bot_get_me,
    "getUpdates": bot_get_updates,
    "setWebhook": bot_set_webhook,
    "deleteWebhook": bot_delete_webhook,
    "getWebhookInfo": bot_get_webhook_info,
    "sendMessage": lambda state, body: _bot_send(state, body, "text"),
    "sendPhoto": lambda state, body: _bot_send(state, body, "photo"),
    "sendChatAction": lambda state, body: _bot_ok(True),
}
