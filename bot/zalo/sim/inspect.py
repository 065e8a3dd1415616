"""``/__fake/*``: the inspection API that tests, benches and the demo chat page use.

What was sent, stats, users, groups, the clock, tokens, injected failures, configuration, and
deliveries of user events to our webhook (OA events signed by ``WebhookDriver``, Bot updates
with the ``X-Bot-Api-Secret-Token`` header). None of it exists on the real Zalo.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from flask import Blueprint, jsonify, request

from bot.zalo.sim.driver import WebhookDriver
from bot.zalo.sim.state import ACCESS_TTL, REFRESH_TTL, SimState, SimulatorConfig, sim_state

bp = Blueprint("zalo_sim_inspect", __name__, url_prefix="/__fake")

FAILURE_MODES = ("http500", "http502", "http429", "timeout", "error")
SECRETS = ("app_secret", "oa_secret_key", "bot_token", "initial_refresh_token", "bot_secret_token")


def _body() -> dict:
    return request.get_json(force=True) or {}


# -- what happened --------------------------------------------------------------------------
@bp.get("/sent")
def fake_sent():
    state = sim_state()
    since = request.args.get("since", type=int) or 0
    user_id = request.args.get("user_id")
    channel = request.args.get("channel")
    with state.lock:
        messages = [m for m in state.sent[since:]
                    if (user_id is None or m.get("user_id") == user_id
                        or m.get("chat_id") == user_id)
                    and (channel is None or m["channel"] == channel)]
        total = len(state.sent)
    return jsonify({"messages": messages, "total": total})


@bp.get("/stats")
def fake_stats():
    state = sim_state()
    with state.lock:
        return jsonify({
            "refresh_calls": state.refresh_calls,
            "refresh_concurrency_max": state.refresh_max,
            "refresh_in_flight": state.refresh_in_flight,
            "requests": dict(state.stats_requests),
            "rate_limited": state.rate_limited,
            "sent": len(state.sent),
            "deliveries": len(state.deliveries),
        })


@bp.get("/tokens")
def fake_tokens():
    state = sim_state()
    with state.lock:
        now = state.now()
        access = [t for t, at in state.access.items() if now - at <= ACCESS_TTL]
        refresh = [t for t, at in state.refresh.items() if now - at <= REFRESH_TTL]
        return jsonify({"access_tokens": access, "refresh_tokens": refresh,
                        "access_token": access[-1] if access else None,
                        "refresh_token": refresh[-1] if refresh else None})


# -- the world: users, groups, clock, codes -------------------------------------------------
@bp.route("/users", methods=["GET", "POST"])
def fake_users():
    state = sim_state()
    with state.lock:
        if request.method == "POST":
            payload = request.get_json(force=True)
            for item in payload if isinstance(payload, list) else [payload]:
                if not isinstance(item, dict) or not item.get("user_id"):
                    return jsonify({"error": "user_id is required"}), 400
                state.upsert_user(item)
        return jsonify({"users": [dict(u) for u in state.users.values()]})


@bp.route("/groups", methods=["GET", "POST"])
def fake_groups():
    state = sim_state()
    with state.lock:
        if request.method == "POST":
            payload = request.get_json(force=True)
            for item in payload if isinstance(payload, list) else [payload]:
                if not isinstance(item, dict) or not item.get("group_id"):
                    return jsonify({"error": "group_id is required"}), 400
                _upsert_group(state, item)
        return jsonify({"groups": [dict(g) for g in state.groups.values()]})


def _upsert_group(state: SimState, item: dict) -> None:
    gid = str(item["group_id"])
    group = state.groups.setdefault(gid, {"group_id": gid, "oa_member": True, "disabled": False})
    for key in ("oa_member", "disabled"):
        if key in item:
            group[key] = bool(item[key])


@bp.post("/advance_clock")
def fake_advance_clock():
    state = sim_state()
    seconds = float((request.get_json(force=True) or {}).get("seconds", 0))
    with state.lock:
        state.offset += seconds
        return jsonify({"now_ms": str(state.now_ms()), "offset_seconds": state.offset})


@bp.get("/clock")
def fake_clock():
    state = sim_state()
    return jsonify({"now_ms": str(state.now_ms()), "offset_seconds": state.offset})


@bp.post("/auth_code")
def fake_auth_code():
    state = sim_state()
    with state.lock:
        code = state.new_token("code")
        state.codes[code] = state.now()
        return jsonify({"code": code, "oa_id": state.config.oa_id})


# -- the simulator itself: failures, reset, configuration ------------------------------------
@bp.post("/fail_next")
def fake_fail_next():
    state = sim_state()
    body = _body()
    mode = body.get("mode", "error")
    if mode not in FAILURE_MODES:
        return jsonify({"error": f"unknown mode {mode}"}), 400
    rule = {"path": body.get("path", "/"), "count": int(body.get("count", 1)), "mode": mode,
            "error": int(body.get("error", -200)), "message": body.get("message"),
            "delay": float(body.get("delay", 0) or 0)}
    with state.lock:
        state.failures.append(rule)
        return jsonify({"pending": [dict(r) for r in state.failures]})


@bp.post("/reset")
def fake_reset():
    sim_state().reset()
    return jsonify({"ok": True})


@bp.route("/config", methods=["GET", "POST"])
def fake_config():
    state = sim_state()
    config = state.config
    if request.method == "POST":
        body = _body()
        unknown = set(body) - {f.name for f in fields(SimulatorConfig)}
        if unknown:
            return jsonify({"error": f"unknown fields {sorted(unknown)}"}), 400
        with state.lock:
            for key, value in body.items():
                setattr(config, key, value)
    public = asdict(config)
    for secret in SECRETS:
        public.pop(secret, None)
    return jsonify(public)


# -- deliveries to our webhook --------------------------------------------------------------
@bp.post("/deliver")
def fake_deliver():
    """A user event (``user_send_text``, ``user_send_image``, ``follow``, ``unfollow``), signed
    and posted to the OA webhook, with optional redeliveries and a duplicate."""
    state = sim_state()
    config = state.config
    body = _body()
    user_id = str(body.get("user_id") or "")
    target = body.get("webhook_url") or config.webhook_url
    if not user_id or not target:
        return jsonify({"error": "user_id and a webhook_url are required"}), 400
    event_name = body.get("event_name", "user_send_text")
    driver = WebhookDriver(target, config.app_id, config.oa_secret_key, config.oa_id,
                           clock=state.now_ms, id_prefix="")
    driver.new_msg_id = state.new_id  # one id space with the simulator's own ids
    try:
        with state.lock:
            event = _build_event(driver, event_name, user_id, body)
            if event is None:
                return jsonify({"error": f"unsupported event_name {event_name}"}), 400
            msg_id = event.get("message", {}).get("msg_id")
            _note_event(state, event_name, user_id, msg_id)
        result = driver.deliver(event, retries=int(body.get("retries", 0)),
                                duplicate=bool(body.get("duplicate", False)),
                                signature=body.get("signature", "mac"))
    finally:
        driver.close()
    out = {"status": result.status, "msg_id": msg_id, "latency_ms": result.latency_ms,
           "attempts": result.attempts, "statuses": result.statuses,
           "event_name": event_name, "timestamp": event["timestamp"]}
    with state.lock:
        state.deliveries.append(out)
    return jsonify(out)


def _build_event(driver: WebhookDriver, event_name: str, user_id: str, body: dict) -> dict | None:
    if event_name == "user_send_text":
        return driver.build_user_text(user_id, str(body.get("text", "")),
                                      msg_id=body.get("msg_id"),
                                      quote_msg_id=body.get("quote_msg_id"))
    if event_name == "user_send_image":
        return driver.build_user_image(user_id, caption=body.get("text"),
                                       msg_id=body.get("msg_id"))
    if event_name == "follow":
        return driver.build_follow(user_id)
    if event_name == "unfollow":
        return driver.build_unfollow(user_id)
    return None


def _note_event(state: SimState, event_name: str, user_id: str, msg_id: str | None) -> None:
    """What the event tells Zalo: a quotable message id, a follower, a fresh interaction."""
    if msg_id:
        state.known_msgs.add(str(msg_id))
    user = state.user(user_id)
    if user is None and state.config.auto_follow:
        user = state.upsert_user({"user_id": user_id})
    if user is None:
        return
    if event_name == "unfollow":
        user["follower"] = False
    else:
        user["last_interaction"] = state.now_ms()
        if event_name == "follow":
            user["follower"] = True


@bp.post("/deliver_bot")
def fake_deliver_bot():
    """A Bot update: posted to the Bot webhook with its secret header, or, with no webhook,
    queued for ``getUpdates``."""
    state = sim_state()
    config = state.config
    body = _body()
    chat_id = str(body.get("chat_id") or body.get("user_id") or "")
    if not chat_id:
        return jsonify({"error": "chat_id is required"}), 400
    with state.lock:
        update = _bot_update(state, chat_id, body)
        message_id = update["message"]["message_id"]
        target = body.get("webhook_url") or config.bot_webhook_url
        secret = config.bot_secret_token or state.bot_webhook.get("secret_token")
        if not target:  # no webhook: queue it for getUpdates
            state.bot_updates.append(update)
            state.updates_ready.notify_all()
            return jsonify({"status": None, "queued": True, "message_id": message_id,
                            "latency_ms": 0})
    payload = {"ok": True, "result": update} if body.get("wrapped") else update
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Bot-Api-Secret-Token"] = secret
    driver = WebhookDriver(target, config.app_id, config.oa_secret_key, config.oa_id)
    try:
        result = driver.deliver_raw(raw, headers)
    finally:
        driver.close()
    return jsonify({"status": result.status, "message_id": message_id,
                    "latency_ms": result.latency_ms, "queued": False})


def _bot_update(state: SimState, chat_id: str, body: dict) -> dict:
    """A ``message.text.received`` update from ``body``; remembers the chat's type."""
    message_id = body.get("message_id") or state.new_id()
    state.bot_chats[chat_id] = body.get("chat_type", "PRIVATE")
    return {"event_name": "message.text.received", "message": {
        "message_id": message_id, "date": state.now_ms(),
        "chat": {"id": chat_id, "chat_type": body.get("chat_type", "PRIVATE")},
        "from": {"id": str(body.get("from_id") or chat_id),
                 "display_name": body.get("display_name", "Người dùng"),
                 "is_bot": False},
        "text": str(body.get("text", ""))}}
