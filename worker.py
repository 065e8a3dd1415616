"""An RQ worker with RQ's scheduler (retry intervals, scheduled digests): ``python worker.py``.

Any number of these may share one Redis and one database. We use RQ's SimpleWorker: our jobs are
short and I/O-bound, and running them in the worker process keeps its database pool and HTTP
session alive between jobs instead of paying a fork per job (see bench/ for the figures).
"""

from __future__ import annotations

import argparse
import logging

from rq import Queue, SimpleWorker, Worker

import handlers
from bot.config import Settings
from bot.digest.schedule import start_cron
from bot.logs import setup_logging
from bot.runtime import QUEUES
from bot.storage.redis_server import connect, resolve_redis_url

# A worker that dies mid-job (SIGKILL, OOM, host loss) leaves the job in StartedJobRegistry until
# its heartbeat lapses (the job monitoring interval + 60 s; our SimpleWorker does not beat during
# a job, so that is also the longest a job may run: event jobs time out well before, at 60 s) and
# a maintenance pass requeues it (every event job has retries left). RQ's defaults make that up to
# 10 min, and an idle worker only looks between 405 s dequeue waits; ours: about 75 s + 30 s.
# The pass takes RQ's per-queue maintenance lock in Redis, so with any number of workers on any
# number of hosts it runs once per queue at a time.
MAINTENANCE_INTERVAL = 30
WORKER_TTL = 45  # an idle worker wakes every WORKER_TTL - 15 s, so the pass runs on time
JOB_MONITORING_INTERVAL = 15


def build_worker(settings: Settings, *, name: str | None = None, worker_class=None):
    conn = connect(resolve_redis_url(settings))
    queues = [Queue(q, connection=conn) for q in QUEUES]
    cls = worker_class or (Worker if settings.worker_class == "fork" else SimpleWorker)
    return cls(queues, connection=conn, name=name, maintenance_interval=MAINTENANCE_INTERVAL,
               worker_ttl=WORKER_TTL, job_monitoring_interval=JOB_MONITORING_INTERVAL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Chi hội Bot worker (RQ, with its scheduler).")
    parser.add_argument("--burst", action="store_true", help="run the queued jobs, then exit (no cron)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    setup_logging(settings.log_level)
    logging.getLogger("rq.worker").setLevel(logging.WARNING)
    handlers.load_all()  # the router's command table, before the first job
    worker = build_worker(settings)
    if args.burst:
        worker.work(burst=True, with_scheduler=True, logging_level=settings.log_level)
        return
    cron = start_cron(settings)
    try:
        worker.work(with_scheduler=True, logging_level=settings.log_level)
    finally:
        cron.stop()


if __name__ == "__main__":
    main()
