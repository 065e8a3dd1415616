"""The schedule: RQ's own ``CronScheduler`` enqueues ``bot.digest.jobs.tick`` at the start of every minute.

``worker.py`` calls ``start_cron(settings)``, which runs the CronScheduler's loop in a daemon
thread of the worker process (``CronScheduler.start()`` itself installs signal handlers, which
only the main thread may do, so the thread drives the same steps: enqueue due jobs, save,
heartbeat, sleep until the next job is due). We register the cron string ``* * * * *``: RQ
computes each run from the minute boundary (croniter), not from the worker's start, and sleeps
until then, so a digest set for 04:26 is queued at 04:26:00 and goes out within that minute.
"Every minute" means the same in UTC (rq 2.12 reads cron strings in UTC) and in local time (3.x),
since every time zone's offset is a whole number of minutes (docs/dependencies.md#rq).

A cron string does not fire at start, so the thread also queues one ``tick`` as it starts: a
scheduler that comes back after downtime catches up at once, not at the next minute.

RQ's cron takes no lock and does not catch up; neither matters here. ``tick`` is one query over
the organizations and the recent ``DigestLog`` rows, and enqueues what is due; several workers,
each with its own scheduler, enqueue one tick each per minute (and a restarted one an extra tick),
the send job's fixed id keeps a second copy of a send out of the queue, and the ``DigestLog``
row lets one send through whatever gets past that.
"""

from __future__ import annotations

import logging
import threading

from rq import Queue
from rq.cron import CronScheduler

from bot.config import Settings
from bot.digest.jobs import tick
from bot.runtime import SCHEDULED_QUEUE
from bot.storage.redis_server import connect, resolve_redis_url

log = logging.getLogger(__name__)
TICK_CRON = "* * * * *"  # at second 0 of every minute: a digest goes out in the minute it is set for
# A tick is cheap and the next minute's tick redoes it, so its job hash need not live long.
TICK_OPTIONS = dict(job_timeout=120, result_ttl=120, failure_ttl=3600)


class CronThread:
    """A running CronScheduler in a daemon thread; ``stop()`` ends it and deregisters it."""

    def __init__(self, scheduler: CronScheduler, conn, *, tick_at_start: bool = False):
        self.scheduler = scheduler
        self.conn = conn
        self._stop = threading.Event()
        self._tick_pending = tick_at_start
        self.thread = threading.Thread(target=self._run, name="rq-cron", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> CronThread:
        self.thread.start()
        return self

    def _round(self) -> None:
        cron = self.scheduler
        if self._tick_pending:  # catch up at once after downtime
            Queue(SCHEDULED_QUEUE, connection=self.conn).enqueue(tick, **TICK_OPTIONS)
            self._tick_pending = False
        if cron.enqueue_jobs():
            cron.save()
        cron.heartbeat()

    def _run(self) -> None:
        cron = self.scheduler
        try:
            cron.register_birth()
            while not self._stop.is_set():
                try:
                    self._round()
                except Exception as exc:  # Redis away for a moment: try again next round
                    log.warning("cron.round_failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
                # Until the next minute's boundary (RQ caps it at 60 s); woken a hair early, the
                # next round finds nothing due and sleeps the rest.
                self._stop.wait(max(cron.calculate_sleep_interval(), 0.05))
        except BaseException as exc:  # pragma: no cover - logged for the operator
            self.error = exc
            log.exception("cron.crashed")
        finally:
            try:
                cron.register_death()
            except Exception:
                pass

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self.thread.join(timeout)
        try:
            self.conn.close()
        except Exception:
            pass


def build_cron(settings: Settings, interval: int | None = None) -> CronThread:
    """A CronThread, not started, whose scheduler enqueues ``tick`` on the "scheduled" queue at the
    start of every minute, plus once as it starts. ``interval`` (seconds, counted from the start,
    first run at once) is for tests only."""
    conn = connect(resolve_redis_url(settings))
    scheduler = CronScheduler(connection=conn, logging_level=settings.log_level)
    # Pass only simple arguments (none here): rq cron always pickles (docs/dependencies.md#rq).
    if interval:
        scheduler.register(tick, queue_name=SCHEDULED_QUEUE, interval=interval, **TICK_OPTIONS)
    else:
        scheduler.register(tick, queue_name=SCHEDULED_QUEUE, cron=TICK_CRON, **TICK_OPTIONS)
    return CronThread(scheduler, conn, tick_at_start=not interval)


def start_cron(settings: Settings, interval: int | None = None) -> CronThread:
    """``build_cron()`` and start it (``worker.py``)."""
    cron = build_cron(settings, interval)
    log.info("cron.started", extra={"cron": None if interval else TICK_CRON, "every_seconds": interval})
    return cron.start()
