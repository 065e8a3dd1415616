"""Outgoing messages: recorded first (keyed, in the handler's transaction), then delivered.

A row per message part with a unique ``dedup_key`` means a retried job never sends what was
already sent. Delivery claims a row before calling Zalo, so two workers never send the same row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.storage.models import Identity, OutboundMessage
from bot.storage.store import insert_ignore
from bot.zalo import errors
from bot.zalo.split import split_message

log = logging.getLogger(__name__)
# A row left in "sending" this long belongs to a worker that died mid-call: take it over.
STALE_CLAIM = timedelta(minutes=2)


class StillSending(RuntimeError):
    """Rows are claimed by another worker (alive, or dead until the claim is stale): retry later."""


def record(
    session: Session,
    *,
    key: str,
    channel: str,
    recipient: str,
    kind: str,
    text: str,
    now: datetime,
    quote_id: str | None = None,
) -> int:
    """Record ``text`` (split at Zalo's 2,000 characters) for sending, once per ``key``.

    Returns how many parts were new (0 when ``key`` was recorded before)."""
    added = 0
    for i, part in enumerate(split_message(text)):
        added += insert_ignore(
            session,
            OutboundMessage,
            dict(
                dedup_key=f"{key}:{i}",
                channel=channel,
                recipient=recipient,
                kind=kind,
                text=part,
                quote_id=quote_id if i == 0 else None,
                status="pending",
                created_at=now,
            ),
            ["dedup_key"],
        )
    return added


def _claim(session: Session, row_id: int, now: datetime) -> bool:
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == row_id,
            or_(
                OutboundMessage.status == "pending",
                (OutboundMessage.status == "sending") & (OutboundMessage.sent_at < now - STALE_CLAIM),
            ),
        )
        .values(status="sending", sent_at=now)
    )
    session.commit()
    return result.rowcount == 1


def _send_one(session: Session, sender, row: OutboundMessage, now: datetime) -> None:
    """Send one claimed row and record the outcome; errors worth retrying the job raise."""
    try:
        message_id = sender.send(row.channel, row.recipient, row.text, row.quote_id)
    except errors.WindowClosed as exc:
        _finish(session, row, "unreachable", error=f"{exc.code}")
        _mark_unreachable(session, row, now)
        log.info("outbox.window_closed", extra={"kind": row.kind, "code": exc.code})
        return
    except (errors.Transient, errors.RateLimited, errors.TokenInvalid) as exc:
        _release(session, row)
        log.warning("outbox.retry_later", extra={"kind": row.kind, "error": type(exc).__name__})
        raise
    except errors.ZaloError as exc:
        _finish(session, row, "failed", error=f"{exc.code} {exc.message}"[:500])
        log.error("outbox.failed", extra={"kind": row.kind, "code": exc.code})
        if isinstance(exc, errors.TokensBroken):
            raise
        return
    _finish(session, row, "sent", message_id=message_id, now=now)


def deliver(session: Session, sender, rows: list[OutboundMessage], now: datetime) -> None:
    """Send each pending row in order. Transient failures raise, so RQ retries the job."""
    busy = 0
    for row in rows:
        if row.status not in ("pending", "sending"):
            continue
        if not _claim(session, row.id, now):
            # Claimed by someone else: fine if it got sent; if it is still "sending", that claim
            # may belong to a worker that died, so retry the job until the claim goes stale.
            status = session.scalar(select(OutboundMessage.status).where(OutboundMessage.id == row.id))
            busy += status == "sending"
            continue
        _send_one(session, sender, row, now)
    if busy:
        raise StillSending(f"{busy} messages claimed by another worker")


def deliver_prefix(session: Session, sender, prefix: str, now: datetime, *, expected: int | None = None) -> None:
    """``deliver(session, sender, pending(session, prefix), now)`` in fewer round trips.

    One UPDATE … RETURNING claims every sendable row under ``prefix`` (pending, or claimed by a
    worker dead for STALE_CLAIM) and commits before anything is sent. ``expected``: how many rows
    the caller knows exist under ``prefix``; when all of them were claimed, nobody else holds one
    and the check for other workers' claims is skipped. Rows claimed but not attempted when a send
    raises are handed back (pending), as if they had never been claimed."""
    stale = now - STALE_CLAIM
    under = OutboundMessage.dedup_key.startswith(prefix, autoescape=True)
    claimed = sorted(
        session.scalars(
            update(OutboundMessage)
            .where(
                under,
                or_(
                    OutboundMessage.status == "pending",
                    (OutboundMessage.status == "sending") & (OutboundMessage.sent_at < stale),
                ),
            )
            .values(status="sending", sent_at=now)
            .returning(OutboundMessage)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).all(),
        key=lambda row: row.id,
    )
    session.commit()
    busy = 0
    if expected is None or len(claimed) < expected:
        mine = [row.id for row in claimed]
        busy = session.scalar(
            select(func.count()).select_from(OutboundMessage).where(
                under, OutboundMessage.status == "sending", OutboundMessage.id.not_in(mine)
            )
        ) or 0
        session.commit()
    done = 0  # rows attempted (the current one included): only the others are handed back
    try:
        for row in claimed:
            done += 1
            _send_one(session, sender, row, now)
    finally:
        rest = [row.id for row in claimed[done:]]
        if rest:  # never attempted: back to pending, for the retry to claim at once
            session.rollback()
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(rest), OutboundMessage.status == "sending")
                .values(status="pending")
                .execution_options(synchronize_session=False)
            )
            session.commit()
    if busy:
        raise StillSending(f"{busy} messages claimed by another worker")


def _release(session: Session, row: OutboundMessage) -> None:
    session.execute(update(OutboundMessage).where(OutboundMessage.id == row.id).values(status="pending"))
    session.commit()


def _finish(session: Session, row: OutboundMessage, status: str, *, error=None, message_id=None, now=None) -> None:
    values = {"status": status, "error": error}
    if message_id is not None:
        values["zalo_message_id"] = str(message_id)
    if now is not None:
        values["sent_at"] = now
    session.execute(update(OutboundMessage).where(OutboundMessage.id == row.id).values(**values))
    session.commit()
    row.status = status


def _mark_unreachable(session: Session, row: OutboundMessage, now: datetime) -> None:
    session.execute(
        update(Identity)
        .where(Identity.channel == row.channel, Identity.external_id == row.recipient, Identity.unreachable_since.is_(None))
        .values(unreachable_since=now)
    )
    session.commit()


def pending(session: Session, prefix: str) -> list[OutboundMessage]:
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.dedup_key.startswith(prefix, autoescape=True),
                OutboundMessage.status.in_(("pending", "sending")),
            )
            .order_by(OutboundMessage.id)
        )
    )
