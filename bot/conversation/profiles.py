"""People by name: a person's Zalo display name, from the OA user-detail API.

OA webhooks carry no name, so the job asks Zalo the first time it meets a sender and again after
``REFRESH_AFTER`` (the answer is kept in Redis; a failed call, e.g. not a follower, is retried
after ``RETRY_AFTER``). The job asks before it writes anything: the call may refresh the OA token,
which writes to the database in its own transaction. A failure never stops the reply.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import redis

from bot.config import Settings
from bot.outbound.sender import sender_for
from bot.web.events import OA, Message

log = logging.getLogger(__name__)
REFRESH_AFTER = timedelta(days=30)
RETRY_AFTER = timedelta(days=1)


def display_name(settings: Settings, conn: redis.Redis, user_id: str) -> str | None:
    """The OA user's display name (from Redis while fresh, else from Zalo), or None."""
    key = f"chb:profile:oa:{user_id}"
    cached = conn.get(key)
    if cached is not None:
        return cached.decode() if isinstance(cached, bytes) and cached else (cached or None)
    name = None
    try:
        detail = sender_for(settings, conn).oa.user_detail(user_id)
        found = detail.get("display_name") if isinstance(detail, dict) else None
        name = found.strip()[:200] if isinstance(found, str) and found.strip() else None
    except Exception as exc:  # Zalo down, not a follower, no credentials: the name waits
        log.warning("profile.failed", extra={"error": type(exc).__name__})
    ttl = REFRESH_AFTER if name else RETRY_AFTER
    conn.set(key, name or "", ex=int(ttl.total_seconds()))
    return name


def with_display_name(settings: Settings, conn: redis.Redis, event):
    """The event with its sender's display name filled in (OA messages; others as they are)."""
    if not isinstance(event, Message) or event.channel != OA or event.display_name or not event.sender_id:
        return event
    name = display_name(settings, conn, event.sender_id)
    return replace(event, display_name=name) if name else event
