"""RQ entry points for the schedule's tick and the evening digest (``flask digest`` in bot.devtools.cli).

``tick`` runs at the start of every minute (``bot.digest.schedule``) and enqueues ``send_digest``
for each organization whose local digest time has passed today, until that day's digest is done;
the same for reminders (``bot.digest.reminders``). Exactly once is the database's job: the ``DigestLog`` row (unique org, day,
kind) is inserted in the same transaction that records every message in the outbox, so
whichever job, worker or scheduler comes second, and any retry after a crash, only delivers
what is still pending.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot import clock
from bot.digest.build import build_digest, render_digest
from bot.digest.facts import OrgInfo, gather_facts
from bot.digest.sinks import Dest, send_chart_once, sink_for, tell_admins
from bot.outbound.outbox import StillSending
from bot.outbound.sender import sender_for
from bot.runtime import SCHEDULED_QUEUE, runtime
from bot.storage.db import sessionmaker_for
from bot.storage.locks import redis_lock
from bot.storage.models import DigestLog, Organization
from bot.storage.store import insert_ignore

log = logging.getLogger(__name__)
DIGEST, REMINDER = "digest", "reminder"
JOB_RETRY = Retry(max=6, interval=[10, 30, 60, 120, 300, 600])


def org_by_code(session: Session, org_code: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        raise ValueError(f"unknown organization {org_code!r}")
    return org


def log_row(session: Session, org_id: int, day: date, kind: str) -> DigestLog | None:
    return session.scalar(select(DigestLog).where(
        DigestLog.org_id == org_id, DigestLog.day == day, DigestLog.kind == kind))


# -- the schedule's tick -----------------------------------------------------------------------

def due(org: Organization, now: datetime) -> list[tuple[str, date]]:
    """What is due for ``org`` at ``now``: [(kind, local day)] whose local time has passed."""
    local = now.astimezone(ZoneInfo(org.timezone))
    hhmm = local.strftime("%H:%M")
    out = []
    if org.digest_time and hhmm >= org.digest_time:
        out.append((DIGEST, local.date()))
    if (org.reminder_weekday is not None and org.reminder_time
            and local.weekday() == org.reminder_weekday and hhmm >= org.reminder_time):
        out.append((REMINDER, local.date()))
    return out


def tick() -> str:
    """Enqueue each digest or reminder that is due today and not done yet (one query, idempotent).

    Runs at the start of every minute on every worker's scheduler, so it stays cheap: one query
    for the organizations with their recent finished ``DigestLog`` rows, and no ORM objects."""
    settings, conn = runtime()
    now = clock.now()
    session = sessionmaker_for(settings.database_url)()
    try:
        orgs, done = schedule_rows(session, now)
    finally:
        session.close()
    queued = []
    for org in orgs:
        for kind, day in due(org, now):
            if (org.id, kind, day) not in done and enqueue_send(conn, kind, org, day):
                queued.append(f"{kind}:{org.code}:{day}")
    return ",".join(queued) or "nothing due"


def schedule_rows(session: Session, now: datetime) -> tuple[list, set[tuple[int, str, date]]]:
    """(organizations with what ``due()`` reads, {(org id, kind, day) done}) in one query.

    Any time zone's local date is within a day of the UTC date, so finished rows from the day
    before the UTC date on cover every organization's "today"."""
    since = now.astimezone(UTC).date() - timedelta(days=1)
    rows = session.execute(
        select(Organization.id, Organization.code, Organization.timezone, Organization.digest_time,
               Organization.reminder_weekday, Organization.reminder_time, DigestLog.kind, DigestLog.day)
        .outerjoin(DigestLog, and_(DigestLog.org_id == Organization.id, DigestLog.status == "done",
                                   DigestLog.day >= since))
        .where(Organization.merged_into_id.is_(None))  # a commune merged away (gộp xã) has no digest
        .order_by(Organization.id)).all()
    orgs: dict[int, object] = {}
    done = set()
    for row in rows:
        orgs.setdefault(row.id, row)
        if row.kind is not None:
            done.add((row.id, row.kind, row.day))
    return list(orgs.values()), done


def enqueue_send(conn, kind: str, org: Organization, day: date) -> bool:
    """Queue the send job for ``org`` and ``day``; False when that job is already queued."""
    func = "bot.digest.jobs.send_digest" if kind == DIGEST else "bot.digest.reminders.send_reminders"
    try:
        Queue(SCHEDULED_QUEUE, connection=conn).enqueue(
            func, org.code, day.isoformat(),
            job_id=f"{kind}-{org.id}-{day.isoformat()}", unique=True,
            retry=JOB_RETRY, job_timeout=600, result_ttl=60,
            # A job that used up its retries expires soon, so a later tick can try again today.
            failure_ttl=600,
            description=f"{kind} {org.code} {day.isoformat()}")
    except DuplicateJobError:
        return False
    return True


# -- the digest --------------------------------------------------------------------------------

def compose(session: Session, org: Organization, day: date, now: datetime):
    """(text, facts) of ``org``'s digest for the local ``day``."""
    facts = gather_facts(session, org, day, now)
    return render_digest(build_digest(OrgInfo.of(org), day, facts, now)), facts


def send_digest(org_code: str, day_iso: str) -> str:
    """RQ job: send (or finish sending) ``org_code``'s digest of ``day_iso``, exactly once."""
    settings, conn = runtime()
    session = sessionmaker_for(settings.database_url)()
    try:
        return run_digest(session, settings, conn, org_code, date.fromisoformat(day_iso), clock.now())
    finally:
        session.close()


def exclusive(conn, kind: str, org, day: date):
    """One job at a time for this org, day and kind. Only to keep two jobs from doing the same
    work side by side; the database's digest log decides what is sent."""
    return redis_lock(conn, f"chb:lock:{kind}:{org.id}:{day.isoformat()}", ttl=600, wait=60,
                      busy=lambda: StillSending(f"{kind} {org.code} {day} is being sent by another job"))


def run_digest(session: Session, settings, conn, org_code: str, day: date, now: datetime) -> str:
    org = org_by_code(session, org_code)
    with exclusive(conn, "digest", org, day):
        return _run_digest(session, settings, conn, org, day, now)


def _run_digest(session, settings, conn, org, day, now) -> str:
    sink = sink_for(org)
    row = log_row(session, org.id, day, DIGEST)
    if row is None:
        if insert_ignore(session, DigestLog, dict(org_id=org.id, day=day, kind=DIGEST,
                                                  status="started", created_at=now),
                         ["org_id", "day", "kind"]):
            text, _facts = compose(session, org, day, now)
            sink.record(session, day, text, now)  # same transaction as the log row
        session.commit()
        row = log_row(session, org.id, day, DIGEST)
    if row.status == "done":
        return "already sent"
    sender = sender_for(settings, conn)
    outcome = sink.deliver(session, sender, day, now)
    if outcome.pending:
        raise StillSending(f"{len(outcome.pending)} digest messages still being sent")
    ctx = {"org_name": org.name, "day": day, "sink": sink.kind}
    if outcome.unreachable and sink.kind == "fanout":
        tell_admins(session, sender, org, f"digestnote:{org.id}:{day.isoformat()}:", "digest_unreachable",
                    {**ctx, "names": [d.name for d in outcome.unreachable]}, now)
    problems = [(d, _why(err)) for d, err in outcome.failed]
    problems += [(d, "no_group") for d in outcome.unreachable if sink.kind != "fanout"]
    if problems:
        tell_admins(session, sender, org, f"digestfail:{org.id}:{day.isoformat()}:", "digest_failed",
                    {**ctx, "group_id": org.group_id, "problems": [p for _d, p in problems]}, now)
    if sink.charts and outcome.sent:
        _send_chart(session, sender, sink, org, day, outcome.sent, now)
    row.status, row.finished_at = "done", now
    session.commit()
    log.info("digest.done", extra={"org": org.code, "day": day.isoformat(), "sent": len(outcome.sent),
                                   "unreachable": len(outcome.unreachable), "failed": len(outcome.failed)})
    return f"sent {len(outcome.sent)}, unreachable {len(outcome.unreachable)}, failed {len(outcome.failed)}"


def _why(error: str) -> str:
    """The reason code a template understands, from an outbox row's "code message"."""
    code = (error or "").split(" ", 1)[0]
    return {"-403": "not_in_group", "-237": "group_disabled", "401": "bot_unauthorized"}.get(code, error or "?")


def _send_chart(session, sender, sink, org, day, dests: list[Dest], now) -> None:
    from bot.digest.chart import chart_png, chart_title

    try:
        facts = gather_facts(session, org, day, now)
        png = chart_png(facts, chart_title(org.name, day))
        if png is not None:
            send_chart_once(session, sender, sink, day, dests, png, now)
    except Exception as exc:  # the text digest never depends on the chart
        session.rollback()
        log.warning("digest.chart_skipped", extra={"org": org.code, "error": f"{type(exc).__name__}: {exc}"[:300]})
