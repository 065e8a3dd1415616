"""What every RQ job runs with: the queues, this process's settings and Redis connection (each made once)."""

from __future__ import annotations

import redis

from bot.config import Settings, current_settings
from bot.storage.redis_server import connect, resolve_redis_url

EVENTS_QUEUE = "events"  # one job per accepted Zalo event (bot.conversation.jobs)
SCHEDULED_QUEUE = "scheduled"  # the schedule's tick, the digests and the reminders (bot.digest)
QUEUES = (EVENTS_QUEUE, SCHEDULED_QUEUE)  # what every worker takes jobs from, in this order
_conns: dict[str, redis.Redis] = {}


def runtime(settings: Settings | None = None) -> tuple[Settings, redis.Redis]:
    """The settings (rebuilt only when the environment changes) and this process's connection."""
    settings = settings or current_settings()
    url = resolve_redis_url(settings)
    conn = _conns.get(url)
    if conn is None:
        conn = _conns[url] = connect(url)
    return settings, conn
