"""One Redis lock for every "one at a time" in the bot: owned by a token, expiring by itself.

A lock outlives a process that is killed while holding it, so each has a short ``ttl``; whoever
waits gives up after ``wait`` seconds and raises the caller's ``busy`` error (RQ then retries the
job later). A lock that expired before its release is logged, never raised: every job that runs
under one is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)


@contextmanager
def redis_lock(conn: redis.Redis, key: str, *, ttl: float, wait: float,
               busy: Callable[[], Exception], poll: float = 0.1) -> Iterator[None]:
    """Hold ``key`` for at most ``ttl`` seconds, waiting up to ``wait`` to get it; else raise ``busy()``.

    Redis errors while acquiring propagate (the caller decides what "Redis is down" means)."""
    lock = conn.lock(key, timeout=ttl, blocking_timeout=wait, sleep=poll)
    if not lock.acquire():
        raise busy()
    try:
        yield
    finally:
        try:
            lock.release()
        except (LockError, redis.RedisError) as exc:
            log.warning("lock.not_released", extra={"lock": key, "error": type(exc).__name__})
