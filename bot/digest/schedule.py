"""The schedule: RQ's own ``CronScheduler`` enqueues ``bot.digest.jobs.tick`` every few minutes.

``worker.py`` calls ``start_cron(settings)``, which runs the CronScheduler's loop in a daemon
thread of the worker process (``CronScheduler.start()`` itself installs signal handlers, which
only the main thread may do, so the thread drives the same steps: enqueue due jobs, save,
heartbeat, sleep). We register an *interval* job rather than a cron string: it fires at start,
so a scheduler that comes back after downtime catches up at once, and it does not care that
rq 2.12 reads cron strings in UTC and 3.x in local time (docs/dependencies.md#rq).

RQ's cron takes no lock and does not catch up; neither matters here. ``tick`` only looks at
the clock and the ``DigestLog`` table and enqueues what is due; several workers, each with its
own scheduler, enqueue duplicate ticks and duplicate sends, and the database lets one through.
"""

from __future__ import annotations

import logging
import threading

from rq.cron import CronScheduler

from bot.config import Settings
from bot.digest.jobs import tick
from bot.runtime import SCHEDULED_QUEUE
from bot.storage.redis_server import connect, resolve_redis_url

log = logging.getLogger(__name__)
TICK_SECONDS = 300  # a digest goes out at most this long after its local time


class CronThread:
    """A running CronScheduler in a daemon thread; ``stop()`` ends it and deregisters it."""

    def __init__(self, scheduler: CronScheduler, conn):
        self.scheduler = scheduler
        self.conn = conn
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="rq-cron", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> CronThread:
        self.thread.start()
        return self

    def _run(self) -> None:
        cron = self.scheduler
        try:
            cron.register_birth()
            while not self._stop.is_set():
                try:
                    if cron.enqueue_jobs():
                        cron.save()
                    cron.heartbeat()
                except Exception as exc:  # Redis away for a moment: try again next round
                    log.warning("cron.round_failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
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


def start_cron(settings: Settings, interval: int = TICK_SECONDS) -> CronThread:
    """Start RQ's CronScheduler enqueueing ``tick`` on the "scheduled" queue every ``interval`` s."""
    conn = connect(resolve_redis_url(settings))
    scheduler = CronScheduler(connection=conn, logging_level=settings.log_level)
    # Pass only simple arguments (none here): rq cron always pickles (docs/dependencies.md#rq).
    scheduler.register(tick, queue_name=SCHEDULED_QUEUE, interval=interval, job_timeout=120,
                       result_ttl=600, failure_ttl=24 * 3600)
    log.info("cron.started", extra={"every_seconds": interval})
    return CronThread(scheduler, conn).start()
