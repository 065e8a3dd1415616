"""Named queries and writes the worker needs, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Text, cast, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import InboundEvent, OutboundMessage


def insert_ignore(session: Session, model, values: dict, conflict: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: through the ORM session, PostgreSQL's rowcount for this is -1.
    key = list(model.__table__.primary_key.columns)[0]
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict).returning(key)
    return session.execute(stmt).first() is not None


def _json_text(dialect: str, text: str):
    """A JSON column's value written as the text it already is (not decoded and encoded again)."""
    if dialect == "postgresql":
        return cast(type_coerce(text, Text), JSON)
    return type_coerce(text, Text)  # SQLite keeps JSON as text


def save_inbound(session: Session, event, raw_body: str, now: datetime) -> InboundEvent:
    """The stored row for this event with its raw body, inserted on first sight (the database's dedup key).

    First sight (the common case): the INSERT hands back the new row itself, already locked by
    this transaction until it commits. Seen before: the stored row, read ``FOR UPDATE``."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = dict(
        channel=event.channel,
        event_key=event.event_key,
        event_name=event.event_name,
        sender_id=getattr(event, "sender_id", None) or getattr(event, "user_id", None),
        text=getattr(event, "text", None),
        payload=_json_text(dialect, raw_body),
        sent_at=event.sent_at,
        received_at=now,
    )
    stmt = (
        insert(InboundEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["channel", "event_key"])
        .returning(InboundEvent)
    )
    row = session.scalars(stmt).first()
    if row is not None:
        return row
    return session.scalar(
        select(InboundEvent)
        .where(InboundEvent.channel == event.channel, InboundEvent.event_key == event.event_key)
        .with_for_update()
    )


def outbound_for(session: Session, prefix: str) -> list[OutboundMessage]:
    return list(
        session.scalars(
            select(OutboundMessage).where(OutboundMessage.dedup_key.startswith(prefix, autoescape=True)).order_by(OutboundMessage.id)
        )
    )
