"""The one-round-trip enqueue (bot.web.queue) borrows RQ's private ``Queue._prepare_for_queue``.

These tests pin what it relies on, so an RQ upgrade that changes the private call, or the job RQ
writes on a public enqueue, fails here rather than in production.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

from rq import Queue
from rq.job import Job, JobStatus

from bot.web import queue as event_queue
from bot.web.events import Message


def _event(key: str) -> Message:
    return Message("oa", "user_send_text", key, "u-1", key, "qua 5", datetime(2026, 11, 21, 3, tzinfo=UTC))


def test_prepare_for_queue_keeps_its_signature():
    assert list(inspect.signature(Queue._prepare_for_queue).parameters) == ["self", "job"]


def test_prepare_for_queue_sets_what_enqueue_sets(rconn):
    queue = Queue(event_queue.EVENTS_QUEUE, connection=rconn)
    job = queue.create_job("bot.conversation.jobs.handle_event", args=(1,), job_id="contract-prep")
    assert job.enqueued_at is None
    before = datetime.now(UTC)
    queue._prepare_for_queue(job)
    after = datetime.now(UTC)
    assert job.origin == queue.name
    assert before <= job.enqueued_at <= after  # set by the call, to its time
    assert job.get_status(refresh=False) == JobStatus.QUEUED
    assert {"origin", "status", "enqueued_at", "data"} <= set(job.to_dict())


def test_our_enqueue_writes_the_job_rq_would_write(rconn):
    """Our Lua script's job hash and queue entry equal those of RQ's own enqueue_job."""
    event = _event("m-contract-1")
    assert event_queue.enqueue_event(rconn, event, '{"raw": true}') is True
    ours = Job.fetch(event_queue.job_id_for("oa", event.event_key), connection=rconn)

    queue = Queue(event_queue.EVENTS_QUEUE, connection=rconn)
    theirs = queue.create_job(ours.func_name, args=ours.args, job_id="contract-rq", retry=event_queue.EVENT_RETRY,
                              timeout=ours.timeout, result_ttl=ours.result_ttl, failure_ttl=ours.failure_ttl,
                              description=ours.description)
    queue.enqueue_job(theirs)

    def fields(job_id: str) -> dict:
        raw = rconn.hgetall(f"rq:job:{job_id}")
        skip = {b"enqueued_at", b"created_at", b"last_heartbeat"}
        return {k: v for k, v in raw.items() if k not in skip}

    assert fields("contract-rq") == fields(ours.id)
    assert rconn.lrange(queue.key, 0, -1) == [ours.id.encode(), b"contract-rq"]
    assert queue.key.encode() in rconn.smembers(queue.redis_queues_keys)
    assert rconn.ttl(f"rq:job:{ours.id}") == rconn.ttl("rq:job:contract-rq")
