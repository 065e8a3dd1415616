"""Putting accepted events on the RQ queue exactly once, with a Redis dedup mark.

The ``queued`` mark and the job are written by one atomic Lua script: a redelivery that finds
``queued`` is a duplicate (200, no job); a ``pending`` mark (left by releases that wrote the mark
and the job separately) is answered 503 so Zalo tries again. The database's unique key on the
event is the second guard, for redeliveries after the mark has expired.
"""

from __future__ import annotations

import hashlib

import redis
from rq import Queue, Retry

from bot.runtime import EVENTS_QUEUE
from bot.web.events import Event, to_fields

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


# The mark and the job in ONE atomic round trip (the webhook's cost is mostly Redis round trips):
# a known event is a duplicate (0), a ``pending`` mark left by an older release is busy (-1),
# otherwise RQ's job hash, the queue push and the ``queued`` mark are written together (1).
_ENQUEUE_LUA = """
local state = redis.call('GET', KEYS[1])
if state == 'queued' then return 0 end
if state then return -1 end
redis.call('SADD', KEYS[4], KEYS[3])
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('SET', KEYS[1], 'queued', 'EX', ARGV[1])
return 1
"""
_enqueue_script = None


def enqueue_event(conn: redis.Redis, event: Event, raw_body: str) -> bool:
    """Queue ``handle_event`` for this event and its verified raw body; False when it is a known duplicate.

    Raises ``redis.RedisError`` when Redis cannot take it, ``Busy`` when another request is
    queueing the same event at this moment.
    """
    global _enqueue_script
    channel, event_key = event.channel, event.event_key
    mark = mark_key(channel, event_key)
    queue = Queue(EVENTS_QUEUE, connection=conn)
    job = queue.create_job(
        "bot.conversation.jobs.handle_event",
        args=(*to_fields(event), raw_body),
        job_id=job_id_for(channel, event_key),
        retry=EVENT_RETRY,
        timeout=60,  # under the worker's heartbeat lapse (worker.py): never "abandoned" while alive
        result_ttl=600,
        failure_ttl=30 * 24 * 3600,
        description=f"handle_event {channel}",
    )
    # RQ's public enqueue cannot make the write depend on our mark in one round trip (a pipeline
    # is unconditional, ``unique=True`` checks only the job, which expires), so we borrow the one
    # private step of ``Queue.enqueue_job``: it sets origin, status, enqueued_at and the timeout.
    # Tested with rq 2.12.0 (requirements.txt pins it); tests/web/test_queue_rq_contract.py fails if a
    # new RQ changes that call or writes a job differently from what this script writes.
    queue._prepare_for_queue(job)
    fields = [part for key, value in job.to_dict().items() for part in (key, value)]
    if _enqueue_script is None:
        _enqueue_script = conn.register_script(_ENQUEUE_LUA)
    state = _enqueue_script(keys=[mark, job.key, queue.key, queue.redis_queues_keys],
                            args=[MARK_TTL, job.id, *fields], client=conn)
    if state == -1:
        raise Busy(event_key)
    return state == 1
