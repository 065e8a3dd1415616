"""Putting accepted events on the RQ queue exactly once, with a Redis dedup mark.

The mark is ``pending`` while we enqueue and ``queued`` once the job is in Redis: a redelivery
that finds ``queued`` is a duplicate (200, no job); one that finds ``pending`` is answered 503 so
Zalo tries again (the first request may have died before enqueueing). The database's unique key
on the event is the second guard, for redeliveries after the mark has expired.
"""

from __future__ import annotations

import hashlib
import json

import redis
from rq import Queue, Retry

EVENTS_QUEUE = "events"
SCHEDULED_QUEUE = "scheduled"
QUEUES = (EVENTS_QUEUE, SCHEDULED_QUEUE)
MARK_TTL = 7 * 24 * 3600  # Zalo retries for hours at most; a week is cheap
PENDING_TTL = 30
# Retried with growing pauses; the worker runs RQ's scheduler, which carries out the intervals.
EVENT_RETRY = Retry(max=8, interval=[2, 5, 15, 30, 60, 120, 300, 600])


class Busy(Exception):
    """The same event is being queued by another request right now; ask Zalo to retry."""


def job_id_for(channel: str, event_key: str) -> str:
    # RQ job ids may use only [A-Za-z0-9_-].
    return "evt-" + hashlib.sha256(f"{channel}:{event_key}".encode()).hexdigest()[:40]


def mark_key(channel: str, event_key: str) -> str:
    return f"chb:evt:{channel}:{hashlib.sha256(event_key.encode()).hexdigest()[:40]}"


def enqueue_event(conn: redis.Redis, channel: str, event_key: str, payload: dict) -> bool:
    """Queue ``handle_event`` for this event; False when it is a known duplicate.

    Raises ``redis.RedisError`` when Redis cannot take it, ``Busy`` when another request is
    queueing the same event at this moment.
    """
    mark = mark_key(channel, event_key)
    if not conn.set(mark, "pending", nx=True, ex=PENDING_TTL):
        state = conn.get(mark)
        if state == b"queued":
            return False
        if state is not None:
            raise Busy(event_key)
        # The pending mark just expired; take it again.
        if not conn.set(mark, "pending", nx=True, ex=PENDING_TTL):
            raise Busy(event_key)
    try:
        Queue(EVENTS_QUEUE, connection=conn).enqueue(
            "bot.jobs.handle_event",
            channel,
            json.dumps(payload, ensure_ascii=False),
            job_id=job_id_for(channel, event_key),
            retry=EVENT_RETRY,
            job_timeout=120,
            result_ttl=600,
            failure_ttl=30 * 24 * 3600,
            description=f"handle_event {channel}",
        )
        conn.set(mark, "queued", ex=MARK_TTL)
    except BaseException:
        try:
            conn.delete(mark)
        except redis.RedisError:
            pass  # the pending mark expires by itself
        raise
    return True
