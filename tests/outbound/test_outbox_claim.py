"""outbox.deliver_prefix: one UPDATE … RETURNING claims a job's rows; the guarantees of deliver hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.outbound import outbox
from bot.storage.db import session_scope, sessionmaker_for
from bot.storage.models import OutboundMessage
from bot.zalo import errors

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class FakeSender:
    def __init__(self, fail_on: dict | None = None):
        self.sent: list[str] = []
        self.fail_on = fail_on or {}

    def send(self, channel, recipient, text, quote_id=None):
        if text in self.fail_on:
            raise self.fail_on[text]
        self.sent.append(text)
        return f"mid-{len(self.sent)}"


def _record(db_url, prefix: str, texts: list[str]) -> int:
    with session_scope(db_url) as s:
        return sum(
            outbox.record(s, key=f"{prefix}{i}", channel="oa", recipient="u1", kind="reply", text=t, now=NOW)
            for i, t in enumerate(texts)
        )


def _statuses(db_url, prefix: str) -> list[str]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(OutboundMessage.status).where(OutboundMessage.dedup_key.startswith(prefix)).order_by(OutboundMessage.id)))


def test_rows_are_sent_in_order_once(clean_db):
    assert _record(clean_db, "evt:1:", ["a", "b", "c"]) == 3
    assert _record(clean_db, "evt:1:", ["a", "b", "c"]) == 0  # recorded once per key
    sender = FakeSender()
    session = sessionmaker_for(clean_db)()
    try:
        outbox.deliver_prefix(session, sender, "evt:1:", NOW, expected=3)
        outbox.deliver_prefix(session, sender, "evt:1:", NOW)  # a retried job sends nothing again
    finally:
        session.close()
    assert sender.sent == ["a", "b", "c"]
    assert _statuses(clean_db, "evt:1:") == ["sent", "sent", "sent"]


def test_a_transient_failure_hands_back_the_rows_not_attempted(clean_db):
    _record(clean_db, "evt:2:", ["a", "b", "c"])
    sender = FakeSender({"b": errors.Transient(0, "down")})
    session = sessionmaker_for(clean_db)()
    try:
        with pytest.raises(errors.Transient):
            outbox.deliver_prefix(session, sender, "evt:2:", NOW, expected=3)
    finally:
        session.close()
    assert sender.sent == ["a"]
    assert _statuses(clean_db, "evt:2:") == ["sent", "pending", "pending"]  # none left claimed
    session = sessionmaker_for(clean_db)()
    try:
        outbox.deliver_prefix(session, FakeSender(), "evt:2:", NOW)
    finally:
        session.close()
    assert _statuses(clean_db, "evt:2:") == ["sent", "sent", "sent"]


def test_a_live_claim_is_left_alone_and_a_stale_one_is_retaken(clean_db):
    _record(clean_db, "evt:3:", ["a"])
    with session_scope(clean_db) as s:  # another worker claimed it a moment ago
        row = s.scalar(select(OutboundMessage).where(OutboundMessage.dedup_key == "evt:3:0:0"))
        row.status, row.sent_at = "sending", NOW - timedelta(seconds=5)
    sender = FakeSender()
    session = sessionmaker_for(clean_db)()
    try:
        with pytest.raises(outbox.StillSending):
            outbox.deliver_prefix(session, sender, "evt:3:", NOW)
        assert sender.sent == []
        later = NOW + outbox.STALE_CLAIM  # that worker died: its claim is stale now
        outbox.deliver_prefix(session, sender, "evt:3:", later)
    finally:
        session.close()
    assert sender.sent == ["a"]
    assert _statuses(clean_db, "evt:3:") == ["sent"]
