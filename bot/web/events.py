"""Zalo events parsed into small typed values (no I/O).

``parse_event`` turns an OA webhook body into one of the dataclasses below; ``parse_bot_update``
does the same for the Zalo Bot platform. The webhook parses once and hands the job the event's
fields (``to_fields``); the job rebuilds the same value (``from_fields``). A body that is not a Zalo event raises ``InvalidEvent``;
an event kind we do not use becomes ``Unknown`` (acknowledged, logged, otherwise ignored).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

OA = "oa"
BOT = "bot"

TEXT_EVENTS = {"user_send_text"}
MEDIA_EVENTS = {
    "user_send_image", "user_send_file", "user_send_link", "user_send_sticker", "user_send_gif",
    "user_send_audio", "user_send_video", "user_send_location", "user_send_business_card",
}  # fmt: skip
ECHO_PREFIX = "oa_send_"


class InvalidEvent(ValueError):
    """The body is not a Zalo event at all (answered 400)."""


@dataclass(frozen=True)
class Message:
    """A person wrote to us: text (maybe empty for media) from ``sender_id`` on ``channel``."""

    channel: str
    event_name: str
    event_key: str
    sender_id: str
    msg_id: str
    text: str
    sent_at: datetime
    chat_id: str | None = None  # Bot platform: where to answer (a private chat or a group)
    attachments: tuple[str, ...] = ()
    display_name: str | None = None


@dataclass(frozen=True)
class Follow:
    channel: str
    event_name: str  # follow | unfollow
    event_key: str
    sender_id: str
    sent_at: datetime

    @property
    def followed(self) -> bool:
        return self.event_name == "follow"


@dataclass(frozen=True)
class Receipt:
    """Delivered/seen receipts for messages we sent, and echoes of our own sends."""

    channel: str
    event_name: str
    event_key: str
    user_id: str | None
    msg_ids: tuple[str, ...]
    sent_at: datetime


@dataclass(frozen=True)
class Unknown:
    channel: str
    event_name: str
    event_key: str
    sent_at: datetime
    extra: dict = field(default_factory=dict, compare=False)


Event = Message | Follow | Receipt | Unknown
_KINDS = {cls.__name__: cls for cls in (Message, Follow, Receipt, Unknown)}


def to_fields(event: Event) -> tuple[str, dict]:
    """The event as its kind and plain fields, as a job receives it (``from_fields`` rebuilds it)."""
    return type(event).__name__, {f.name: getattr(event, f.name) for f in fields(event)}


def from_fields(kind: str, values: dict) -> Event:
    """The event ``to_fields`` took apart: built from its fields, not parsed again."""
    return _KINDS[kind](**values)


def _id(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):  # ids are stored in 64-character columns
        return str(value) if -(10**63) < value < 10**64 else None
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    return None


def _timestamp(value) -> datetime:
    """Epoch milliseconds (string or number) as an aware UTC datetime."""
    try:
        ms = int(str(value))
    except (TypeError, ValueError):
        raise InvalidEvent("timestamp is not a number") from None
    if ms < 10**11:  # seconds, not milliseconds
        ms *= 1000
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidEvent("timestamp out of range") from None


def _fallback_key(*parts) -> str:
    return "h" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def parse_event(payload) -> Event:
    """The typed event for an OA webhook body already decoded from JSON."""
    if not isinstance(payload, dict):
        raise InvalidEvent("body is not a JSON object")
    name = payload.get("event_name")
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InvalidEvent("no event_name")
    if "timestamp" not in payload:
        raise InvalidEvent("no timestamp")
    sent_at = _timestamp(payload.get("timestamp"))
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
    recipient = payload.get("recipient") if isinstance(payload.get("recipient"), dict) else {}

    if name in TEXT_EVENTS or name in MEDIA_EVENTS:
        sender_id = _id(sender.get("id"))
        msg_id = _id(message.get("msg_id"))
        if not sender_id or not msg_id:
            raise InvalidEvent(f"{name} without sender.id or message.msg_id")
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        attachments = tuple(
            str(a.get("type"))
            for a in (message.get("attachments") if isinstance(message.get("attachments"), list) else ())
            if isinstance(a, dict) and isinstance(a.get("type"), str)
        )
        return Message(OA, name, msg_id, sender_id, msg_id, text, sent_at, None, attachments)

    if name in ("follow", "unfollow"):
        follower = payload.get("follower") if isinstance(payload.get("follower"), dict) else {}
        sender_id = _id(follower.get("id")) or _id(sender.get("id"))
        if not sender_id:
            raise InvalidEvent(f"{name} without follower.id")
        key = _fallback_key(name, payload.get("timestamp"), sender_id)
        return Follow(OA, name, key, sender_id, sent_at)

    if name in ("user_received_message", "user_seen_message") or name.startswith(ECHO_PREFIX):
        ids = message.get("msg_ids")
        if not isinstance(ids, list):
            ids = [message.get("msg_id")]
        msg_ids = tuple(i for i in (_id(x) for x in ids) if i)
        user = _id(recipient.get("id"))
        key = _fallback_key(name, payload.get("timestamp"), user, *msg_ids)
        return Receipt(OA, name, key, user, msg_ids, sent_at)

    key = _fallback_key(name, payload.get("timestamp"), _id(sender.get("id")), _id(message.get("msg_id")))
    return Unknown(OA, name, key, sent_at)


def parse_bot_update(payload) -> Event:
    """The typed event for a Zalo Bot platform update (bare or wrapped in ``{ok, result}``)."""
    if isinstance(payload, dict) and isinstance(payload.get("result"), dict) and "ok" in payload:
        payload = payload["result"]
    if not isinstance(payload, dict):
        raise InvalidEvent("body is not a JSON object")
    name = payload.get("event_name")
    message = payload.get("message")
    if not isinstance(name, str) or not name or len(name) > 64 or not isinstance(message, dict):
        raise InvalidEvent("not a Zalo Bot update")
    msg_id = _id(message.get("message_id"))
    sent_at = _timestamp(message.get("date", 0))
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    sender_id = _id(sender.get("id"))
    chat_id = _id(chat.get("id"))
    if not msg_id or not sender_id or not chat_id:
        raise InvalidEvent("Zalo Bot update without message_id, from.id or chat.id")
    if name == "message.text.received":
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        display = sender.get("display_name") if isinstance(sender.get("display_name"), str) else None
        return Message(BOT, name, msg_id, sender_id, msg_id, text, sent_at, chat_id, (), display)
    return Unknown(BOT, name, msg_id, sent_at)
