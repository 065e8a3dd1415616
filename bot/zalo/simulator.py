"""Our local Zalo: the OA Open API, OAuth v4 and the Bot API on a loopback server, with a clock.

Faithful to ../shared/zalo/oa-api.md §9: errors as HTTP-200 bodies, the ``access_token`` header,
25 h access tokens on a fake clock, single-use rotating refresh tokens, the 7-day window,
groups, uploads, rate limits and injected failures. ``/__fake/*`` is the inspection API tests
and the demo chat page use: what was sent, stats, users, groups, clock, failures, deliveries
(through ``WebhookDriver``, signed exactly as Zalo signs).
"""

from __future__ import annotations

import json
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, fields

import click
from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from bot.zalo.driver import WebhookDriver, _app_scoped

HOUR = 3600
DAY = 24 * HOUR
ACCESS_TTL = 25 * HOUR
REFRESH_TTL = 90 * DAY
CODE_TTL = 10 * 60
ATTACHMENT_TTL = 7 * DAY
FREE_WINDOW = 48 * HOUR
SEND_WINDOW = 7 * DAY
MAX_TEXT = 2000
MAX_IMAGE = 1024 * 1024

MSG = {
    -14001: "Invalid app_id or secret_key",
    -14014: "Invalid refresh token",
    -14019: "Invalid authorization code",
    -32: "Your application reached limit call api",
    -100: "attachment_id was expired",
    -201: "{} is invalid!",
    -210: "Image is invalid! Only jpg/png up to 1MB",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
    -237: "The group is disabled",
    -240: "MessageV2 API has been shut down, please switch to MessageV3",
    -403: "OA is not in group",
}


@dataclass
class SimulatorConfig:
    app_id: str = "sim-app"
    app_secret: str = "sim-app-secret"
    oa_id: str = "sim-oa"
    oa_secret_key: str = "sim-oa-secret"
    bot_token: str = "sim-bot:token"
    initial_refresh_token: str = "sim-refresh-0"
    webhook_url: str | None = None  # where /__fake/deliver posts OA events
    bot_webhook_url: str | None = None  # where /__fake/deliver_bot posts Bot updates
    bot_secret_token: str | None = None  # X-Bot-Api-Secret-Token for those posts
    rate_limit_per_minute: int = 4000
    unknown_user_error: int = -201  # or -213
    auto_follow: bool = True  # a user the driver delivers for becomes a known follower
    text_too_long_error: int = -201  # the real code is unknown (§9)
    include_quota: bool = False  # the phased-out data.quota of message/cs
    refresh_latency: float = 0.05  # seconds the token endpoint takes (widens races)
    bot_unauthorized_status: int = 401  # HTTP status of the Bot API's "Unauthorized" body
    bot_long_poll_cap: float = 1.0  # getUpdates waits at most this long for an update
    echo_events: bool = False  # after a CS send, post oa_send_text/received/seen to webhook_url
    echo_delay: float = 0.05
    id_epoch: int | None = None  # id prefix; None: the start time (unique across restarts)


class _State:
    """Everything the simulator remembers; guarded by one lock."""

    def __init__(self, config: SimulatorConfig):
        self.config = config
        self.lock = threading.RLock()
        self.updates_ready = threading.Condition(self.lock)
        self.epoch = config.id_epoch if config.id_epoch is not None else int(time.time())
        # Never reset: ids stay unique for the server's life, across /__fake/reset, so an app
        # whose dedup marks outlive a reset never mistakes a new msg_id for a redelivery.
        self.seq = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.offset = 0.0
            self.access = {}  # token -> issued (fake seconds)
            self.refresh = {self.config.initial_refresh_token: self.now()}
            self.codes = {}  # auth code -> issued
            self.users = {}
            self.groups = {}
            self.attachments = {}  # id -> issued
            self.known_msgs = set()  # ids that quote_message_id may name
            self.sent = []
            self.stats_requests = {}
            self.rate_limited = 0
            self.rate_window = (None, 0)
            self.refresh_calls = 0
            self.refresh_in_flight = 0
            self.refresh_max = 0
            self.failures = []
            self.bot_webhook = {"url": "", "secret_token": None, "updated_at": 0}
            self.bot_updates = []
            self.bot_chats = {}  # chat id -> chat_type, as deliveries named them
            self.deliveries = []

    # fake clock: real time plus whatever the tests advanced
    def now(self) -> float:
        return time.time() + self.offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def new_id(self) -> str:
        with self.lock:
            self.seq += 1
            return f"{self.epoch & 0xFFFFFFFF:08x}{self.seq:012x}"

    def new_token(self, kind: str) -> str:
        return f"sim-{kind}-{self.new_id()}"

    def user(self, user_id: str) -> dict | None:
        return self.users.get(str(user_id))

    def upsert_user(self, data: dict) -> dict:
        uid = str(data["user_id"])
        user = self.users.setdefault(uid, {"user_id": uid, "display_name": f"Người dùng {uid[-4:]}",
                                           "follower": True, "last_interaction": None})
        if "display_name" in data:
            user["display_name"] = data["display_name"]
        if "follower" in data:
            user["follower"] = bool(data["follower"])
        if "last_interaction" in data:
            li = data["last_interaction"]
            user["last_interaction"] = self.now_ms() if li == "now" else (
                None if li is None else int(li))
        return user

    def record(self, entry: dict) -> dict:
        entry = {"index": len(self.sent), **entry}
        self.sent.append(entry)
        return entry


def _ok(data: dict) -> Response:
    return jsonify({"data": data, "error": 0, "message": "Success"})


def _err(code: int, message: str | None = None) -> Response:
    return jsonify({"error": code, "message": message or MSG.get(code, "Unknown error")})


def _invalid(field_name: str) -> Response:
    return _err(-201, MSG[-201].format(field_name))


def _nfc_len(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


class _QuietHandler(WSGIRequestHandler):
    """Keeps Zalo's underscore headers and writes no access log (paths carry the Bot token).

    werkzeug (like gunicorn and nginx) drops headers whose names contain ``_``, but Zalo's
    auth headers are exactly ``access_token`` and ``secret_key``: keep them aside, verbatim."""

    def make_environ(self):
        environ = super().make_environ()
        environ["zalo_sim.underscore_headers"] = {
            key.lower(): value for key, value in self.headers.items() if "_" in key}
        return environ

    def log_request(self, code="-", size="-"):
        pass


def _header(name: str) -> str | None:
    """A request header whose name has an underscore (``access_token``, ``secret_key``)."""
    kept = request.environ.get("zalo_sim.underscore_headers")
    if kept is not None:
        return kept.get(name)
    return request.headers.get(name)  # under a server that passes them on (test client)


def create_simulator(config: SimulatorConfig | None = None) -> Flask:
    """The simulator's Flask app; its state lives in ``app.extensions["zalo_sim"]``."""
    config = config or SimulatorConfig()
    state = _State(config)
    app = Flask("zalo_simulator")
    app.extensions["zalo_sim"] = state
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    # -- cross-cutting: counting, injected failures, rate limit --------------------------
    def _stat_path() -> str:
        path = request.path
        if path.startswith("/bot"):
            rest = path[4:].split("/", 1)
            return "/bot<token>/" + (rest[1] if len(rest) > 1 else "")
        return path

    @app.before_request
    def _cross_cutting():
        path = request.path
        if path.startswith("/__fake"):
            return None
        with state.lock:
            key = _stat_path()
            state.stats_requests[key] = state.stats_requests.get(key, 0) + 1
            rule = next((r for r in state.failures if path.startswith(r["path"])), None)
            if rule is not None:
                rule["count"] -= 1
                if rule["count"] <= 0:
                    state.failures.remove(rule)
        if rule is not None:
            delay = float(rule.get("delay") or 0)
            mode = rule.get("mode", "error")
            if mode == "timeout":
                time.sleep(delay or 3.0)  # then answer normally, too late for the client
            else:
                if delay:
                    time.sleep(delay)
                if mode == "http500":
                    return Response("Internal Server Error", status=500, mimetype="text/plain")
                if mode == "http502":
                    return Response("Bad Gateway", status=502, mimetype="text/plain")
                if mode == "http429":
                    return Response("Too Many Requests", status=429, mimetype="text/plain")
                if mode == "error":
                    code = int(rule.get("error", -200))
                    if path.startswith("/bot"):
                        return jsonify({"ok": False, "error_code": code,
                                        "description": rule.get("message") or "Error"})
                    return _err(code, rule.get("message") or MSG.get(code, "Send message failed"))
        if path.startswith(("/v2.0/", "/v3.0/")):
            with state.lock:
                minute = int(state.now() // 60)
                window, count = state.rate_window
                count = count + 1 if window == minute else 1
                state.rate_window = (minute, count)
                limit = config.rate_limit_per_minute
                if count > limit:
                    state.rate_limited += 1
                    response = _err(-32)
                    remain = 0
                else:
                    response = None
                    remain = limit - count
            request.environ["zalo_sim.remain"] = remain
            if response is not None:
                return response
        return None

    @app.after_request
    def _rate_headers(response: Response):
        if request.path.startswith(("/v2.0/", "/v3.0/")):
            response.headers["X-RateLimit-Limit"] = str(config.rate_limit_per_minute)
            response.headers["X-RateLimit-Remain"] = str(
                request.environ.get("zalo_sim.remain", config.rate_limit_per_minute))
        return response

    def _auth() -> Response | None:
        """None when the ``access_token`` header holds a live token, else the error body."""
        token = _header("access_token")
        if not token:  # Authorization: Bearer is not how Zalo authenticates
            return _err(-216)
        with state.lock:
            issued = state.access.get(token)
            if issued is None:
                return _err(-216)
            if state.now() - issued > ACCESS_TTL:
                return _err(-220)
        return None

    def _json_body() -> dict:
        data = request.get_json(silent=True, force=True)
        return data if isinstance(data, dict) else {}

    # -- OAuth v4 ----------------------------------------------------------------------
    @app.post("/v4/oa/access_token")
    def access_token():
        form = request.form
        if (_header("secret_key") != config.app_secret
                or form.get("app_id") != config.app_id):
            return _err(-14001)
        grant = form.get("grant_type")
        with state.lock:
            state.refresh_calls += grant == "refresh_token"
            state.refresh_in_flight += 1
            state.refresh_max = max(state.refresh_max, state.refresh_in_flight)
        try:
            if config.refresh_latency:
                time.sleep(config.refresh_latency)
            with state.lock:
                if grant == "refresh_token":
                    rt = form.get("refresh_token", "")
                    issued = state.refresh.pop(rt, None)  # single use: gone at once
                    if issued is None or state.now() - issued > REFRESH_TTL:
                        return _err(-14014)
                elif grant == "authorization_code":
                    issued = state.codes.pop(form.get("code", ""), None)
                    if issued is None or state.now() - issued > CODE_TTL:
                        return _err(-14019)
                else:
                    return _err(-14001, "grant_type is invalid")
                access, refresh = state.new_token("at"), state.new_token("rt")
                state.access[access] = state.now()
                state.refresh[refresh] = state.now()
            return jsonify({"access_token": access, "refresh_token": refresh,
                            "expires_in": str(ACCESS_TTL), "refresh_token_expires_in":
                            str(REFRESH_TTL)})
        finally:
            with state.lock:
                state.refresh_in_flight -= 1

    # -- OA Open API -------------------------------------------------------------------
    def _check_attachment(message: dict) -> tuple[str | None, Response | None]:
        attachment = message.get("attachment")
        if attachment is None:
            return None, None
        try:
            element = attachment["payload"]["elements"][0]
            attachment_id = str(element["attachment_id"])
        except (KeyError, IndexError, TypeError):
            return None, _invalid("attachment")
        issued = state.attachments.get(attachment_id)
        if issued is None:
            return None, _invalid("attachment_id")
        if state.now() - issued > ATTACHMENT_TTL:
            return None, _err(-100)
        return attachment_id, None

    def _check_text(message: dict, required: bool) -> Response | None:
        text = message.get("text")
        if text is None:
            return _invalid("message") if required else None
        if not isinstance(text, str) or not text.strip():
            return _invalid("text")
        if _nfc_len(text) > MAX_TEXT:
            return _err(config.text_too_long_error, MSG[-201].format("text")
                        if config.text_too_long_error == -201 else None)
        return None

    @app.post("/v3.0/oa/message/cs")
    def message_cs():
        if (bad := _auth()) is not None:
            return bad
        body = _json_body()
        user_id = str((body.get("recipient") or {}).get("user_id") or "")
        message = body.get("message") if isinstance(body.get("message"), dict) else None
        with state.lock:
            user = state.user(user_id)
            if user is None:
                code = config.unknown_user_error
                return _invalid("recipient") if code == -201 else _err(code)
            if not user["follower"]:
                return _err(-213)
            if message is None:
                return _invalid("message")
            attachment_id, bad = _check_attachment(message)
            if bad is not None:
                return bad
            if (bad := _check_text(message, required=attachment_id is None)) is not None:
                return bad
            age = (state.now_ms() - user["last_interaction"]) / 1000 if user[
                "last_interaction"] is not None else None
            if age is None or age > SEND_WINDOW:
                return _err(-230)
            quote = message.get("quote_message_id")
            if quote is not None and str(quote) not in state.known_msgs:
                return _invalid("quote_message_id")
            message_id = state.new_id()
            state.known_msgs.add(message_id)
            sent_time = str(state.now_ms())
            state.record({"channel": "oa", "path": request.path, "recipient": user_id,
                          "user_id": user_id, "text": message.get("text"),
                          "quote_message_id": None if quote is None else str(quote),
                          "attachment_id": attachment_id, "message_id": message_id,
                          "at": sent_time, "billable": age > FREE_WINDOW})
        data = {"message_id": message_id, "user_id": user_id, "sent_time": sent_time}
        if config.include_quota:
            data["quota"] = {"quota_type": "reply", "remain": "8", "total": "8"}
        if config.echo_events and config.webhook_url and message.get("text"):
            _echo_later(user_id, message["text"], message_id)
        return _ok(data)

    @app.post("/v3.0/oa/group/message")
    def group_message():
        if (bad := _auth()) is not None:
            return bad
        body = _json_body()
        group_id = str((body.get("recipient") or {}).get("group_id") or "")
        message = body.get("message") if isinstance(body.get("message"), dict) else None
        with state.lock:
            group = state.groups.get(group_id)
            if group is None:
                return _invalid("group_id")
            if not group["oa_member"]:
                return _err(-403)
            if group["disabled"]:
                return _err(-237)
            if message is None:
                return _invalid("message")
            attachment_id, bad = _check_attachment(message)
            if bad is not None:
                return bad
            if (bad := _check_text(message, required=attachment_id is None)) is not None:
                return bad
            message_id = state.new_id()
            state.record({"channel": "group", "path": request.path, "recipient": group_id,
                          "group_id": group_id, "text": message.get("text"),
                          "quote_message_id": None, "attachment_id": attachment_id,
                          "message_id": message_id, "at": str(state.now_ms()), "billable": False})
        return _ok({"message_id": message_id, "group_id": group_id})

    def _data_param() -> dict | None:
        try:
            data = json.loads(request.args.get("data", "{}"))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    @app.get("/v3.0/oa/user/detail")
    def user_detail():
        if (bad := _auth()) is not None:
            return bad
        data = _data_param()
        if data is None or not data.get("user_id"):
            return _invalid("user_id")
        with state.lock:
            user = state.user(str(data["user_id"]))
            if user is None:
                return _invalid("user_id")
            if not user["follower"]:
                return _err(-213)
            li = user["last_interaction"]
        last = time.strftime("%d/%m/%Y", time.gmtime(li / 1000 + 7 * HOUR)) if li else ""
        uid = user["user_id"]
        return _ok({
            "user_id": uid, "user_id_by_app": _app_scoped(uid),
            "user_external_id": "", "display_name": user["display_name"],
            "user_alias": user["display_name"], "is_sensitive": False,
            "user_last_interaction_date": last, "user_is_follower": user["follower"],
            "avatar": "https://s120-ava-talk.zadn.vn/sim/avatar.jpg",
            "avatars": {"120": "https://s120-ava-talk.zadn.vn/sim/avatar.jpg",
                        "240": "https://s240-ava-talk.zadn.vn/sim/avatar.jpg"},
            "tags_and_notes_info": {"notes": [], "tag_names": []},
            "shared_info": {},
        })

    @app.get("/v3.0/oa/user/getlist")
    def user_getlist():
        if (bad := _auth()) is not None:
            return bad
        data = _data_param()
        if data is None:
            return _invalid("data")
        offset, count = int(data.get("offset", 0)), int(data.get("count", 50))
        if count > 50 or count < 1 or offset < 0:
            return _invalid("count")
        with state.lock:
            users = [u for u in state.users.values()
                     if "is_follower" not in data or u["follower"] == bool(data["is_follower"])]
        page = users[offset:offset + count]
        return _ok({"total": len(users), "count": len(page), "offset": offset,
                    "users": [{"user_id": u["user_id"]} for u in page]})

    @app.get("/v2.0/oa/getoa")
    def getoa():
        if (bad := _auth()) is not None:
            return bad
        return _ok({"oa_id": config.oa_id, "name": "Chi hội (simulator)",
                    "description": "Local Zalo simulator", "is_verified": True,
                    "oa_type": 2, "package_name": "simulator", "num_follower":
                    sum(u["follower"] for u in state.users.values()),
                    "avatar": "https://s120-ava-talk.zadn.vn/sim/oa.jpg"})

    @app.post("/v3.0/oa/quota/message")
    def quota_message():
        if (bad := _auth()) is not None:
            return bad
        user_id = str(_json_body().get("user_id") or "")
        with state.lock:
            user = state.user(user_id)
            if user is None:
                return _invalid("user_id")
            li = user["last_interaction"]
            age = None if li is None else (state.now_ms() - li) / 1000
        in_window = age is not None and age <= SEND_WINDOW
        return _ok({"user_id": user_id, "last_interaction": "" if li is None else str(li),
                    "in_window": in_window, "free": in_window and age <= FREE_WINDOW,
                    "cs_reply": {"remain": "8" if in_window else "0", "total": "8"}})

    @app.post("/v2.0/oa/upload/image")
    def upload_image():
        if (bad := _auth()) is not None:
            return bad
        upload = request.files.get("file")
        if upload is None:
            return _invalid("file")
        blob = upload.read(MAX_IMAGE + 1)
        is_image = blob.startswith(b"\x89PNG\r\n\x1a\n") or blob.startswith(b"\xff\xd8\xff")
        if len(blob) > MAX_IMAGE or not is_image:
            return _err(-210)
        with state.lock:
            attachment_id = state.new_id()
            state.attachments[attachment_id] = state.now()
        return _ok({"attachment_id": attachment_id})

    @app.route("/v2.0/oa/message", methods=["GET", "POST"])
    @app.route("/v2.0/oa/message/<path:_rest>", methods=["GET", "POST"])
    def message_v2(_rest=None):
        return _err(-240)

    # -- Zalo Bot API ------------------------------------------------------------------
    def _bot_ok(result) -> Response:
        return jsonify({"ok": True, "result": result})

    def _bot_err(code: int, description: str, status: int = 200) -> Response:
        response = jsonify({"ok": False, "error_code": code, "description": description})
        response.status_code = status
        return response

    @app.route("/bot<token>/<method>", methods=["GET", "POST"])
    def bot_api(token: str, method: str):
        if token != config.bot_token:
            return _bot_err(401, "Unauthorized", config.bot_unauthorized_status)
        body = _bot_params()
        handler = BOT_METHODS.get(method)
        if handler is None:
            return _bot_err(404, "Not Found", 404)
        return handler(body)

    def _bot_params() -> dict:
        """A method's parameters however a client sends them, as Telegram-style APIs take
        them: the query string, then a JSON, urlencoded or multipart body (the body wins)."""
        params = request.args.to_dict()
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            params.update(request.form.to_dict())
        else:
            params.update(_json_body())
        return params

    def bot_get_me(_body):
        return _bot_ok({"id": config.bot_token.split(":", 1)[0], "account_name":
                        "Bot Chi hội (simulator)", "account_type": "BASIC",
                        "can_join_groups": False})

    def bot_get_updates(body):
        with state.lock:
            if state.bot_webhook["url"]:
                return _bot_err(409, "Conflict: webhook is set, getUpdates is disabled")
            try:
                wait = min(float(body.get("timeout", 30)), config.bot_long_poll_cap)
            except (TypeError, ValueError):
                wait = config.bot_long_poll_cap
            deadline = time.monotonic() + max(wait, 0)
            while not state.bot_updates:
                left = deadline - time.monotonic()
                if left <= 0:
                    return _bot_err(408, "Request timeout")
                state.updates_ready.wait(left)
            return _bot_ok(state.bot_updates.pop(0))

    def bot_set_webhook(body):
        url, secret = body.get("url"), body.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            return _bot_err(400, "Bad Request: url must be HTTPS")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return _bot_err(400, "Bad Request: secret_token must be 8-256 characters")
        with state.lock:
            state.bot_webhook = {"url": url, "secret_token": secret,
                                 "updated_at": state.now_ms()}
            return _bot_ok({"url": url, "updated_at": state.bot_webhook["updated_at"]})

    def bot_delete_webhook(_body):
        with state.lock:
            state.bot_webhook = {"url": "", "secret_token": None, "updated_at": state.now_ms()}
            return _bot_ok({"url": "", "updated_at": state.bot_webhook["updated_at"]})

    def bot_get_webhook_info(_body):
        with state.lock:
            return _bot_ok({"url": state.bot_webhook["url"],
                            "updated_at": state.bot_webhook["updated_at"]})

    def _bot_send(body, kind: str):
        chat_id = body.get("chat_id")
        if not chat_id:
            return _bot_err(400, "Bad Request: chat_id is required")
        text = body.get("text") if kind == "text" else body.get("caption")
        if kind == "text" and (not isinstance(text, str) or not 1 <= _nfc_len(text) <= MAX_TEXT):
            return _bot_err(400, "Bad Request: text must be 1-2000 characters")
        if kind == "photo":
            if not isinstance(body.get("photo"), str) or not body["photo"]:
                return _bot_err(400, "Bad Request: photo is required")
            if text is not None and (not isinstance(text, str) or _nfc_len(text) > MAX_TEXT):
                return _bot_err(400, "Bad Request: caption is too long")
        chat_id = str(chat_id)
        with state.lock:
            message_id = state.new_id()
            date = state.now_ms()
            chat_type = state.bot_chats.get(chat_id, "PRIVATE")
            state.record({"channel": "bot", "path": f"/bot<token>/{request.path.rsplit('/', 1)[-1]}",
                          "recipient": chat_id, "chat_id": chat_id, "text": text,
                          "photo": body.get("photo") if kind == "photo" else None,
                          "quote_message_id": None, "attachment_id": None,
                          "message_id": message_id, "at": str(date), "billable": False})
        # The sent Message, in the shape of an inbound update's message (clients parse it so).
        message = {"message_id": message_id, "date": date,
                   "chat": {"id": chat_id, "chat_type": chat_type},
                   "from": {"id": config.bot_token.split(":", 1)[0],
                            "display_name": "Bot Chi hội (simulator)", "is_bot": True},
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
        "sendMessage": lambda body: _bot_send(body, "text"),
        "sendPhoto": lambda body: _bot_send(body, "photo"),
        "sendChatAction": lambda body: _bot_ok(True),
    }

    # -- echoes (optional side effects of a CS send) -------------------------------------
    def _echo_later(user_id: str, text: str, message_id: str) -> None:
        def run():
            driver = WebhookDriver(config.webhook_url, config.app_id, config.oa_secret_key,
                                   config.oa_id, clock=state.now_ms)
            try:
                for event in (driver.build_oa_echo(user_id, text, message_id),
                              driver.build_user_received(user_id, message_id),
                              driver.build_user_seen(user_id, [message_id])):
                    time.sleep(config.echo_delay)
                    driver.deliver(event)
            finally:
                driver.close()

        threading.Thread(target=run, name="zalo-sim-echo", daemon=True).start()

    # -- inspection API ----------------------------------------------------------------
    @app.get("/__fake/sent")
    def fake_sent():
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

    @app.get("/__fake/stats")
    def fake_stats():
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

    @app.route("/__fake/users", methods=["GET", "POST"])
    def fake_users():
        with state.lock:
            if request.method == "POST":
                payload = request.get_json(force=True)
                for item in payload if isinstance(payload, list) else [payload]:
                    if not isinstance(item, dict) or not item.get("user_id"):
                        return jsonify({"error": "user_id is required"}), 400
                    state.upsert_user(item)
            return jsonify({"users": [dict(u) for u in state.users.values()]})

    @app.route("/__fake/groups", methods=["GET", "POST"])
    def fake_groups():
        with state.lock:
            if request.method == "POST":
                payload = request.get_json(force=True)
                for item in payload if isinstance(payload, list) else [payload]:
                    if not isinstance(item, dict) or not item.get("group_id"):
                        return jsonify({"error": "group_id is required"}), 400
                    gid = str(item["group_id"])
                    group = state.groups.setdefault(gid, {"group_id": gid, "oa_member": True,
                                                          "disabled": False})
                    for key in ("oa_member", "disabled"):
                        if key in item:
                            group[key] = bool(item[key])
            return jsonify({"groups": [dict(g) for g in state.groups.values()]})

    @app.post("/__fake/advance_clock")
    def fake_advance_clock():
        seconds = float((request.get_json(force=True) or {}).get("seconds", 0))
        with state.lock:
            state.offset += seconds
            return jsonify({"now_ms": str(state.now_ms()), "offset_seconds": state.offset})

    @app.get("/__fake/clock")
    def fake_clock():
        return jsonify({"now_ms": str(state.now_ms()), "offset_seconds": state.offset})

    @app.post("/__fake/fail_next")
    def fake_fail_next():
        body = request.get_json(force=True) or {}
        mode = body.get("mode", "error")
        if mode not in ("http500", "http502", "http429", "timeout", "error"):
            return jsonify({"error": f"unknown mode {mode}"}), 400
        rule = {"path": body.get("path", "/"), "count": int(body.get("count", 1)), "mode": mode,
                "error": int(body.get("error", -200)), "message": body.get("message"),
                "delay": float(body.get("delay", 0) or 0)}
        with state.lock:
            state.failures.append(rule)
            return jsonify({"pending": [dict(r) for r in state.failures]})

    @app.get("/__fake/tokens")
    def fake_tokens():
        with state.lock:
            now = state.now()
            access = [t for t, at in state.access.items() if now - at <= ACCESS_TTL]
            refresh = [t for t, at in state.refresh.items() if now - at <= REFRESH_TTL]
            return jsonify({"access_tokens": access, "refresh_tokens": refresh,
                            "access_token": access[-1] if access else None,
                            "refresh_token": refresh[-1] if refresh else None})

    @app.post("/__fake/auth_code")
    def fake_auth_code():
        with state.lock:
            code = state.new_token("code")
            state.codes[code] = state.now()
            return jsonify({"code": code, "oa_id": config.oa_id})

    @app.post("/__fake/reset")
    def fake_reset():
        state.reset()
        return jsonify({"ok": True})

    @app.route("/__fake/config", methods=["GET", "POST"])
    def fake_config():
        if request.method == "POST":
            body = request.get_json(force=True) or {}
            names = {f.name for f in fields(SimulatorConfig)}
            unknown = set(body) - names
            if unknown:
                return jsonify({"error": f"unknown fields {sorted(unknown)}"}), 400
            with state.lock:
                for key, value in body.items():
                    setattr(config, key, value)
        public = asdict(config)
        for secret in ("app_secret", "oa_secret_key", "bot_token", "initial_refresh_token",
                       "bot_secret_token"):
            public.pop(secret, None)
        return jsonify(public)

    @app.post("/__fake/deliver")
    def fake_deliver():
        body = request.get_json(force=True) or {}
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
                if event_name == "user_send_text":
                    event = driver.build_user_text(user_id, str(body.get("text", "")),
                                                   msg_id=body.get("msg_id"),
                                                   quote_msg_id=body.get("quote_msg_id"))
                elif event_name == "user_send_image":
                    event = driver.build_user_image(user_id, caption=body.get("text"),
                                                    msg_id=body.get("msg_id"))
                elif event_name in ("follow", "unfollow"):
                    event = (driver.build_follow if event_name == "follow"
                             else driver.build_unfollow)(user_id)
                else:
                    return jsonify({"error": f"unsupported event_name {event_name}"}), 400
                msg_id = event.get("message", {}).get("msg_id")
                if msg_id:
                    state.known_msgs.add(str(msg_id))
                user = state.user(user_id)
                if user is None and config.auto_follow:
                    user = state.upsert_user({"user_id": user_id})
                if user is not None:
                    if event_name == "unfollow":
                        user["follower"] = False
                    else:
                        user["last_interaction"] = state.now_ms()
                        if event_name == "follow":
                            user["follower"] = True
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

    @app.post("/__fake/deliver_bot")
    def fake_deliver_bot():
        body = request.get_json(force=True) or {}
        chat_id = str(body.get("chat_id") or body.get("user_id") or "")
        if not chat_id:
            return jsonify({"error": "chat_id is required"}), 400
        with state.lock:
            message_id = body.get("message_id") or state.new_id()
            state.bot_chats[chat_id] = body.get("chat_type", "PRIVATE")
            update = {"event_name": "message.text.received", "message": {
                "message_id": message_id, "date": state.now_ms(),
                "chat": {"id": chat_id, "chat_type": body.get("chat_type", "PRIVATE")},
                "from": {"id": str(body.get("from_id") or chat_id),
                         "display_name": body.get("display_name", "Người dùng"),
                         "is_bot": False},
                "text": str(body.get("text", ""))}}
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

    return app


class SimulatorServer:
    """The simulator served on 127.0.0.1 in a daemon thread; ``url`` once started."""

    def __init__(self, config: SimulatorConfig | None = None, port: int = 0,
                 host: str = "127.0.0.1"):
        self.config = config or SimulatorConfig()
        self.app = create_simulator(self.config)
        self.host, self.port = host, port
        self._server = None
        self._thread = None

    @property
    def state(self) -> _State:
        return self.app.extensions["zalo_sim"]

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> SimulatorServer:
        self._server = make_server(self.host, self.port or 0, self.app, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="zalo-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@click.command("zalo-simulator")
@click.option("--port", default=8100, show_default=True, type=int)
@click.option("--webhook-url", default=None, help="Where OA events are delivered.")
@click.option("--bot-webhook-url", default=None, help="Where Bot updates are delivered.")
@click.option("--bot-secret-token", default=None)
@click.option("--app-id", default=SimulatorConfig.app_id, show_default=True)
@click.option("--app-secret", default=SimulatorConfig.app_secret)
@click.option("--oa-secret-key", default=SimulatorConfig.oa_secret_key)
@click.option("--refresh-token", default=SimulatorConfig.initial_refresh_token)
def simulator_command(port, webhook_url, bot_webhook_url, bot_secret_token, app_id, app_secret,
                      oa_secret_key, refresh_token):
    """Serve the local Zalo simulator (OA API, OAuth v4, Bot API, /__fake) on 127.0.0.1."""
    config = SimulatorConfig(app_id=app_id, app_secret=app_secret, oa_secret_key=oa_secret_key,
                             initial_refresh_token=refresh_token, webhook_url=webhook_url,
                             bot_webhook_url=bot_webhook_url, bot_secret_token=bot_secret_token)
    server = make_server("127.0.0.1", port, create_simulator(config), threaded=True,
                         request_handler=_QuietHandler)
    click.echo(f"Zalo simulator on http://127.0.0.1:{server.server_port} (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["SimulatorConfig", "SimulatorServer", "create_simulator", "simulator_command"]
