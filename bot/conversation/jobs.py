"""RQ entry points. Jobs are thin and idempotent: RQ may run any of them more than once."""

from __future__ import annotations

import logging

from redis.exceptions import LockError

from bot import clock
from bot.conversation.context import Ctx
from bot.conversation.profiles import with_display_name
from bot.conversation.router import Reply, route
from bot.outbound import outbox
from bot.outbound.sender import sender_for
from bot.render import render
from bot.runtime import runtime
from bot.storage.db import sessionmaker_for
from bot.storage.locks import redis_lock
from bot.storage.store import save_inbound
from bot.web import events

log = logging.getLogger(__name__)
SENDER_LOCK_TTL = 30  # seconds; far above one event's work


def handle_event(kind: str, fields: dict, raw_body: str) -> str:
    """Store the event once, route it once, and send what it answered (each part once).

    The webhook parsed and checked the event: ``kind`` and ``fields`` rebuild it (``events.to_fields``),
    ``raw_body`` is what Zalo sent, stored as it came."""
    settings, conn = runtime()
    event = events.from_fields(kind, fields)
    channel = event.channel
    sender_id = getattr(event, "sender_id", None) or "-"
    # One person's messages are handled one at a time, so "huỷ" always meets the report before it.
    # The lock outlives a worker that is killed while holding it, so it is short: the others then
    # wait SENDER_LOCK_TTL at most, not minutes (each job is idempotent if it ever does expire).
    with redis_lock(conn, f"chb:lock:sender:{channel}:{sender_id}", ttl=SENDER_LOCK_TTL,
                    wait=SENDER_LOCK_TTL + 10, busy=lambda: LockError("sender lock busy")):
        session = sessionmaker_for(settings.database_url)()
        try:
            return _handle(session, settings, conn, event, raw_body)
        finally:
            session.close()


def _handle(session, settings, conn, event, raw_body: str) -> str:
    now = clock.now()
    event = with_display_name(settings, conn, event)  # before any write: it may refresh the OA token
    row = save_inbound(session, event, raw_body, now)
    prefix = f"evt:{row.id}:"
    expected = None  # how many outgoing rows this run recorded (None: recorded by an earlier run)
    if row.handled_at is None:
        expected = 0
        ctx = Ctx.for_sender(session, settings, conn, now, channel=event.channel,
                             sender_id=getattr(event, "sender_id", None), event_id=row.id)
        replies = [reply.answering(event) for reply in _throttle(ctx, event, _answer(event, ctx))]
        for i, reply in enumerate(replies):
            expected += outbox.record(
                session,
                key=f"{prefix}{i}",
                channel=reply.channel,
                recipient=reply.to,
                kind="reply",
                text=render(reply.template, **reply.context),
                now=now,
                quote_id=reply.quote_id,
            )
        row.handled_at = now
        session.commit()
        log.info("event.handled", extra={"event": event.event_name, "replies": len(replies)})
    if expected != 0:  # nothing recorded now and nothing before: nothing to send
        outbox.deliver_prefix(session, sender_for(settings, conn), prefix, now, expected=expected)
    return "ok"


def _answer(event, ctx: Ctx):
    if isinstance(event, events.Message):
        _touch(ctx, event)
        if event.event_name != "user_send_text" and event.channel == events.OA and not event.text.strip():
            return [Reply("media_not_supported")]
        return route(event, ctx)
    if isinstance(event, events.Follow):
        if event.followed:
            _touch(ctx, event)
            return [Reply("welcome", {"oa_name": "Chi hội Bot", "registered": bool(ctx.memberships)}, quote=False)]
    return []


def _throttle(ctx: Ctx, event, replies: list) -> list:
    """Past the per-minute limit, a person gets one notice and then no replies (never lost reports).

    Counted per person in Redis; the webhook is never throttled, so Zalo's deliveries never fail.
    """
    sender = getattr(event, "sender_id", None)
    if not replies or not sender:
        return replies
    key = f"chb:rate:{event.channel}:{sender}:{int(ctx.now.timestamp()) // 60}"
    pipe = ctx.redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, 120)
    count = pipe.execute()[0]
    limit = ctx.settings.reply_limit_per_minute
    if count <= limit:
        return replies
    if count == limit + 1:
        log.warning("replies.throttled", extra={"channel": event.channel})
        return [Reply("throttled", {"limit": limit})]
    return []


def _touch(ctx: Ctx, event) -> None:
    """Zalo's 7-day window restarts whenever the person writes or follows."""
    if ctx.identity is not None:
        ctx.identity.last_inbound_at = event.sent_at
        ctx.identity.unreachable_since = None
        if isinstance(event, events.Message) and event.display_name and ctx.identity.display_name != event.display_name:
            ctx.identity.display_name = event.display_name
