"""The OA Open API: CS and group messages, users, the OA profile, quota, image uploads.

Requests authenticate with the ``access_token`` header; every answer is HTTP 200 with
``error`` 0 or a Zalo error code. Sends check follower status, the 7-day interaction window,
text length (NFC), attachment ids and quoted messages, and are recorded for ``/__fake/sent``
(docs/zalo-platform.md: "Sending text", "Images and uploads", "Group messages", "Interaction
windows", "Error codes").
"""

from __future__ import annotations

import json
import threading
import time

from flask import Blueprint, Response, request

from bot.zalo.sim.common import err, header, invalid, json_body, nfc_len, ok
from bot.zalo.sim.driver import WebhookDriver, _app_scoped
from bot.zalo.sim.state import (
    ACCESS_TTL,
    ATTACHMENT_TTL,
    FREE_WINDOW,
    HOUR,
    MAX_IMAGE,
    MAX_TEXT,
    MSG,
    SEND_WINDOW,
    SimState,
    sim_state,
)

bp = Blueprint("zalo_sim_oa", __name__)

AVATAR = "https://s120-ava-talk.zadn.vn/sim/avatar.jpg"


# -- checks ---------------------------------------------------------------------------------
def auth(state: SimState) -> Response | None:
    """None when the ``access_token`` header holds a live token, else the error body."""
    token = header("access_token")
    if not token:  # Authorization: Bearer is not how Zalo authenticates
        return err(-216)
    with state.lock:
        issued = state.access.get(token)
        if issued is None:
            return err(-216)
        if state.now() - issued > ACCESS_TTL:
            return err(-220)
    return None


def _check_attachment(state: SimState, message: dict) -> tuple[str | None, Response | None]:
    attachment = message.get("attachment")
    if attachment is None:
        return None, None
    try:
        element = attachment["payload"]["elements"][0]
        attachment_id = str(element["attachment_id"])
    except (KeyError, IndexError, TypeError):
        return None, invalid("attachment")
    issued = state.attachments.get(attachment_id)
    if issued is None:
        return None, invalid("attachment_id")
    if state.now() - issued > ATTACHMENT_TTL:
        return None, err(-100)
    return attachment_id, None


def _check_text(state: SimState, message: dict, required: bool) -> Response | None:
    text = message.get("text")
    if text is None:
        return invalid("message") if required else None
    if not isinstance(text, str) or not text.strip():
        return invalid("text")
    if nfc_len(text) > MAX_TEXT:
        code = state.config.text_too_long_error
        return err(code, MSG[-201].format("text") if code == -201 else None)
    return None


def _check_message(state: SimState, message: dict) -> tuple[str | None, Response | None]:
    """The attachment id the message carries (or None), and the error body if it is bad."""
    attachment_id, bad = _check_attachment(state, message)
    if bad is None:
        bad = _check_text(state, message, required=attachment_id is None)
    return attachment_id, bad


def _message_of(body: dict) -> dict | None:
    return body.get("message") if isinstance(body.get("message"), dict) else None


def _age(state: SimState, user: dict) -> float | None:
    """Seconds since the user last wrote to the OA (None: never)."""
    li = user["last_interaction"]
    return None if li is None else (state.now_ms() - li) / 1000


# -- CS messages ----------------------------------------------------------------------------
@bp.post("/v3.0/oa/message/cs")
def message_cs():
    state = sim_state()
    if (bad := auth(state)) is not None:
        return bad
    body = json_body()
    user_id = str((body.get("recipient") or {}).get("user_id") or "")
    message = _message_of(body)
    with state.lock:
        data = _send_cs(state, user_id, message)
    if isinstance(data, Response):
        return data
    config = state.config
    if config.include_quota:
        data["quota"] = {"quota_type": "reply", "remain": "8", "total": "8"}
    if config.echo_events and config.webhook_url and message.get("text"):
        _echo_later(state, user_id, message["text"], data["message_id"])
    return ok(data)


def _cs_refusal(state: SimState, user: dict | None, message: dict | None) -> Response | None:
    if user is None:
        code = state.config.unknown_user_error
        return invalid("recipient") if code == -201 else err(code)
    if not user["follower"]:
        return err(-213)
    if message is None:
        return invalid("message")
    return None


def _send_cs(state: SimState, user_id: str, message: dict | None) -> dict | Response:
    """Record a CS send (under the lock); its ``data``, or the error body."""
    user = state.user(user_id)
    if (bad := _cs_refusal(state, user, message)) is not None:
        return bad
    attachment_id, bad = _check_message(state, message)
    if bad is not None:
        return bad
    age = _age(state, user)
    if age is None or age > SEND_WINDOW:
        return err(-230)
    quote = message.get("quote_message_id")
    if quote is not None and str(quote) not in state.known_msgs:
        return invalid("quote_message_id")
    message_id = state.new_id()
    state.known_msgs.add(message_id)
    sent_time = str(state.now_ms())
    state.record({"channel": "oa", "path": request.path, "recipient": user_id,
                  "user_id": user_id, "text": message.get("text"),
                  "quote_message_id": None if quote is None else str(quote),
                  "attachment_id": attachment_id, "message_id": message_id,
                  "at": sent_time, "billable": age > FREE_WINDOW})
    return {"message_id": message_id, "user_id": user_id, "sent_time": sent_time}


def _echo_later(state: SimState, user_id: str, text: str, message_id: str) -> None:
    """Post the ``oa_send_text`` echo, then the received and seen receipts, to webhook_url."""
    config = state.config

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


# -- group messages -------------------------------------------------------------------------
@bp.post("/v3.0/oa/group/message")
def group_message():
    state = sim_state()
    if (bad := auth(state)) is not None:
        return bad
    body = json_body()
    group_id = str((body.get("recipient") or {}).get("group_id") or "")
    message = _message_of(body)
    with state.lock:
        group = state.groups.get(group_id)
        if (bad := _group_refusal(group, message)) is not None:
            return bad
        attachment_id, bad = _check_message(state, message)
        if bad is not None:
            return bad
        message_id = state.new_id()
        state.record({"channel": "group", "path": request.path, "recipient": group_id,
                      "group_id": group_id, "text": message.get("text"),
                      "quote_message_id": None, "attachment_id": attachment_id,
                      "message_id": message_id, "at": str(state.now_ms()), "billable": False})
    return ok({"message_id": message_id, "group_id": group_id})


def _group_refusal(group: dict | None, message: dict | None) -> Response | None:
    if group is None:
        return invalid("group_id")
    if not group["oa_member"]:
        return err(-403)
    if group["disabled"]:
        return err(-237)
    if message is None:
        return invalid("message")
    return None


# -- users, OA profile, quota ---------------------------------------------------------------
def _data_param() -> dict | None:
    try:
        data = json.loads(request.args.get("data", "{}"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@bp.get("/v3.0/oa/user/detail")
def user_detail():
    state = sim_state()
    if (bad := auth(state)) is not None:
        return bad
    data = _data_param()
    if data is None or not data.get("user_id"):
        return invalid("user_id")
    with state.lock:
        user = state.user(str(data["user_id"]))
        if user is None:
            return invalid("user_id")
        if not user["follower"]:
            return err(-213)
        user = dict(user)
    return ok(_detail(user))


def _detail(user: dict) -> dict:
    li = user["last_interaction"]
    last = time.strftime("%d/%m/%Y", time.gmtime(li / 1000 + 7 * HOUR)) if li else ""
    uid = user["user_id"]
    return {
        "user_id": uid, "user_id_by_app": _app_scoped(uid),
        "user_external_id": "", "display_name": user["display_name"],
        "user_alias": user["display_name"], "is_sensitive": False,
        "user_last_interaction_date": last, "user_is_follower": user["follower"],
        "avatar": AVATAR,
        "avatars": {"120": AVATAR, "240": "https://s240-ava-talk.zadn.vn/sim/avatar.jpg"},
        "tags_and_notes_info": {"notes": [], "tag_names": []},
        "shared_info": {},
    }


@bp.get("/v3.0/oa/user/getlist")
def user_getlist():
    state = sim_state()
    if (bad := auth(state)) is not None:
        return bad
    data = _data_param()
    if data is None:
        return invalid("data")
    offset, count = int(data.get("offset", 0)), int(data.get("count", 50))
    if count > 50 or count < 1 or offset < 0:
        return invalid("count")
    with state.lock:
        users = [u for u in state.users.values()
                 if "is_follower" not in data or u["follower"] == bool(data["is_follower"])]
    page = users[offset:offset + count]
    return ok({"total": len(users), "count": len(page), "offset": offset,
               "users": [{"user_id": u["user_id"]} for u in page]})


@bp.get("/v2.0/oa/getoa")
def getoa():
    state = sim_state()
    if (bad := auth(state)) is not None:
        return bad
    return ok({"oa_id": state.config.oa_id, "name": "Chi hội (simulator)",
               "description": "Local Zalo simulator", "is_verified": True,
               "oa_type": 2, "package_name": "simulator", "num_follower":
               sum(u["follower"] for u in state.users.values()),
               "avatar": "https://s120-ava-talk.zadn.vn/sim/oa.jpg"})


@bp.post("/v3.0/oa/quota/message")
def quota_message():
    state = sim_state()
    if (bad := auth(state)) is not None:
        return bad
    user_id = str(json_body().get("user_id") or "")
    with state.lock:
        user = state.user(user_id)
        if user is None:
            return invalid("user_id")
        li = user["last_interaction"]
        age = _age(state, user)
    in_window = age is not None and age <= SEND_WINDOW
    return ok({"user_id": user_id, "last_interaction": "" if li is None else str(li),
               "in_window": in_window, "free": in_window and age <= FREE_WINDOW,
               "cs_reply": {"remain": "8" if in_window else "0", "total": "8"}})


# -- uploads and retired paths --------------------------------------------------------------
@bp.post("/v2.0/oa/upload/image")
def upload_image():
    state = sim_state()
    if (bad := auth(state)) is not None:
        return bad
    upload = request.files.get("file")
    if upload is None:
        return invalid("file")
    blob = upload.read(MAX_IMAGE + 1)
    is_image = blob.startswith(b"\x89PNG\r\n\x1a\n") or blob.startswith(b"\xff\xd8\xff")
    if len(blob) > MAX_IMAGE or not is_image:
        return err(-210)
    with state.lock:
        attachment_id = state.new_id()
        state.attachments[attachment_id] = state.now()
    return ok({"attachment_id": attachment_id})


@bp.route("/v2.0/oa/message", methods=["GET", "POST"])
@bp.route("/v2.0/oa/message/<path:_rest>", methods=["GET", "POST"])
def message_v2(_rest=None):
    return err(-240)
