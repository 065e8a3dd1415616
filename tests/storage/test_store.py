"""save_inbound: the raw body stored as Zalo sent it, once per event, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text

from bot.storage.db import session_scope
from bot.storage.models import InboundEvent
from bot.storage.store import save_inbound
from bot.web.events import Message

SENT = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
RAW = '{"event_name": "user_send_text",  "message": {"msg_id": "m-raw", "text": "quà 5 \\u00e0"}}'


def _event(key: str = "m-raw") -> Message:
    return Message("oa", "user_send_text", key, "u-1", key, "quà 5 à", SENT)


def test_the_raw_body_is_stored_as_it_came(clean_db):
    with session_scope(clean_db) as session:
        row = save_inbound(session, _event(), RAW, SENT)
        row_id = row.id
    with session_scope(clean_db) as session:
        stored = session.get(InboundEvent, row_id)
        assert stored.payload == {"event_name": "user_send_text", "message": {"msg_id": "m-raw", "text": "quà 5 à"}}
        assert stored.text == "quà 5 à" and stored.sender_id == "u-1"
        # not decoded and encoded again: the column holds Zalo's own text, spacing and escapes included
        raw = session.execute(text("SELECT CAST(payload AS TEXT) FROM inbound_events WHERE id = :id"),
                              {"id": row_id}).scalar()
        assert raw == RAW


def test_a_redelivered_event_gets_the_stored_row(clean_db):
    with session_scope(clean_db) as session:
        first = save_inbound(session, _event(), RAW, SENT).id
    with session_scope(clean_db) as session:
        again = save_inbound(session, _event(), RAW, SENT).id
        assert again == first
        assert len(list(session.scalars(select(InboundEvent)))) == 1
