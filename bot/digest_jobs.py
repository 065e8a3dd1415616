"""RQ entry points for the evening digest and the weekly reminders, and ``flask digest``.

``tick`` runs every few minutes (``bot.schedule``) and enqueues ``send_digest`` for each
organization whose local digest time has passed today, until that day's digest is done; the
same for reminders. Exactly once is the database's job: the ``DigestLog`` row (unique org, day,
kind) is inserted in the same transaction that records every message in the outbox, so
whichever job, worker or scheduler comes second, and any retry after a crash, only delivers
what is still pending.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from redis.exceptions import LockError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock, outbox
from bot.config import Settings
from bot.db import sessionmaker_for
from bot.digest import build_digest, render_digest
from bot.digest_facts import OrgInfo, gather_facts, reachable
from bot.models import (
    Chapter,
    DigestLog,
    Identity,
    Membership,
    Organization,
    OutboundMessage,
    Person,
    Report,
)
from bot.queue import SCHEDULED_QUEUE
from bot.redis_server import connect, resolve_redis_url
from bot.render import render
from bot.sinks import Dest, send_chart_once, sink_for, tell_admins
from bot.store import insert_ignore, outbound_for

log = logging.getLogger(__name__)
DIGEST, REMINDER = "digest", "reminder"
JOB_RETRY = Retry(max=6, interval=[10, 30, 60, 120, 300, 600])
_conns: dict[str, object] = {}


class StillSending(RuntimeError):
    """Another worker claimed some rows moments ago; RQ retries this job later."""


def _runtime():
    settings = Settings.from_env()
    url = resolve_redis_url(settings)
    if url not in _conns:
        _conns[url] = connect(url)
    return settings, _conns[url]


def _sender(settings, conn):
    from bot.channels import sender_for

    return sender_for(settings, conn)


def _org(session: Session, org_code: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        raise ValueError(f"unknown organization {org_code!r}")
    return org


def _log_row(session: Session, org_id: int, day: date, kind: str) -> DigestLog | None:
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
    """Enqueue each digest or reminder that is due today and not done yet (cheap, idempotent)."""
    settings, conn = _runtime()
    now = clock.now()
    session = sessionmaker_for(settings.database_url)()
    queued = []
    try:
        for org in session.scalars(select(Organization).order_by(Organization.id)):
            for kind, day in due(org, now):
                row = _log_row(session, org.id, day, kind)
                if row is not None and row.status == "done":
                    continue
                if enqueue_send(conn, kind, org, day):
                    queued.append(f"{kind}:{org.code}:{day}")
    finally:
        session.close()
    return ",".join(queued) or "nothing due"


def enqueue_send(conn, kind: str, org: Organization, day: date) -> bool:
    """Queue the send job for ``org`` and ``day``; False when that job is already queued."""
    func = "bot.digest_jobs.send_digest" if kind == DIGEST else "bot.digest_jobs.send_reminders"
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
    settings, conn = _runtime()
    session = sessionmaker_for(settings.database_url)()
    try:
        return run_digest(session, settings, conn, org_code, date.fromisoformat(day_iso), clock.now())
    finally:
        session.close()


@contextmanager
def _exclusive(conn, kind: str, org, day: date):
    """One job at a time for this org, day and kind. Only to keep two jobs from doing the same
    work side by side; the database's digest log decides what is sent."""
    lock = conn.lock(f"chb:lock:{kind}:{org.id}:{day.isoformat()}", timeout=600, blocking_timeout=60)
    if not lock.acquire():
        raise StillSending(f"{kind} {org.code} {day} is being sent by another job")
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            pass


def run_digest(session: Session, settings, conn, org_code: str, day: date, now: datetime) -> str:
    org = _org(session, org_code)
    with _exclusive(conn, "digest", org, day):
        return _run_digest(session, settings, conn, org, day, now)


def _run_digest(session, settings, conn, org, day, now) -> str:
    sink = sink_for(org)
    row = _log_row(session, org.id, day, DIGEST)
    if row is None:
        if insert_ignore(session, DigestLog, dict(org_id=org.id, day=day, kind=DIGEST,
                                                  status="started", created_at=now),
                         ["org_id", "day", "kind"]):
            text, _facts = compose(session, org, day, now)
            sink.record(session, day, text, now)  # same transaction as the log row
        session.commit()
        row = _log_row(session, org.id, day, DIGEST)
    if row.status == "done":
        return "already sent"
    sender = _sender(settings, conn)
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
    from bot.chart import chart_png

    try:
        facts = gather_facts(session, org, day, now)
        png = chart_png(facts, f"{org.name}: tháng {day.month}/{day.year} đến {day.strftime('%d/%m')}")
        if png is not None:
            send_chart_once(session, sender, sink, day, dests, png, now)
    except Exception as exc:  # the text digest never depends on the chart
        session.rollback()
        log.warning("digest.chart_skipped", extra={"org": org.code, "error": f"{type(exc).__name__}: {exc}"[:300]})


# -- reminders ---------------------------------------------------------------------------------

@dataclass
class HeadNudge:
    recipient: str  # the head's OA user id
    name: str
    chapters: list[str]
    reachable: bool


@dataclass
class ReminderPlan:
    week_start: date
    day: date
    missing: list[str] = field(default_factory=list)  # chapters with no report this week
    heads: list[HeadNudge] = field(default_factory=list)
    headless: list[str] = field(default_factory=list)  # missing chapters with no head on Zalo

    @property
    def nudged(self) -> list[HeadNudge]:
        return [h for h in self.heads if h.reachable]

    @property
    def unreachable(self) -> list[HeadNudge]:
        return [h for h in self.heads if not h.reachable]


def plan_reminders(session: Session, org: Organization, day: date, now: datetime) -> ReminderPlan:
    """Heads of chapters with no report in ``day``'s week (Monday to ``day``), and who is reachable."""
    week_start = day - timedelta(days=day.weekday())
    plan = ReminderPlan(week_start, day)
    chapters = list(session.scalars(select(Chapter).where(Chapter.org_id == org.id, Chapter.active)
                                    .order_by(Chapter.id)))
    reported = set(session.scalars(select(Report.chapter_id).where(
        Report.org_id == org.id, Report.status.in_(("active", "pending")),
        Report.report_date >= week_start, Report.report_date <= day)))
    missing = [c for c in chapters if c.id not in reported]
    plan.missing = [c.name for c in missing]
    by_person: dict[int, HeadNudge] = {}
    covered = set()
    for chapter in missing:
        for person, identity in session.execute(
            select(Person, Identity)
            .join(Membership, Membership.person_id == Person.id)
            .join(Identity, (Identity.person_id == Person.id) & (Identity.channel == "oa"))
            .where(Membership.org_id == org.id, Membership.chapter_id == chapter.id,
                   Membership.role == "head")
            .order_by(Person.id)
        ):
            covered.add(chapter.id)
            nudge = by_person.get(person.id)
            if nudge is None:
                nudge = HeadNudge(identity.external_id, person.name or identity.display_name or "",
                                  [], reachable(identity, now))
                by_person[person.id] = nudge
                plan.heads.append(nudge)
            if chapter.name not in nudge.chapters:
                nudge.chapters.append(chapter.name)
    plan.headless = [c.name for c in missing if c.id not in covered]
    return plan


def send_reminders(org_code: str, day_iso: str) -> str:
    """RQ job: nudge the heads who have not reported this week, once per organization and day."""
    settings, conn = _runtime()
    session = sessionmaker_for(settings.database_url)()
    try:
        return run_reminders(session, settings, conn, org_code, date.fromisoformat(day_iso), clock.now())
    finally:
        session.close()


def run_reminders(session: Session, settings, conn, org_code: str, day: date, now: datetime) -> str:
    org = _org(session, org_code)
    with _exclusive(conn, "reminder", org, day):
        return _run_reminders(session, settings, conn, org, day, now)


def _run_reminders(session, settings, conn, org, day, now) -> str:
    prefix = f"remind:{org.id}:{day.isoformat()}:"
    row = _log_row(session, org.id, day, REMINDER)
    if row is None:
        if insert_ignore(session, DigestLog, dict(org_id=org.id, day=day, kind=REMINDER,
                                                  status="started", created_at=now),
                         ["org_id", "day", "kind"]):
            plan = plan_reminders(session, org, day, now)
            for head in plan.heads:
                text = render("reminder", name=head.name, chapters=head.chapters,
                              week_start=plan.week_start)
                if head.reachable:
                    outbox.record(session, key=f"{prefix}{head.recipient}", channel="oa",
                                  recipient=head.recipient, kind="reminder", text=text, now=now)
                else:
                    insert_ignore(session, OutboundMessage, dict(
                        dedup_key=f"{prefix}{head.recipient}:0", channel="oa", recipient=head.recipient,
                        kind="reminder", text=text, status="unreachable",
                        error="skipped: window", created_at=now), ["dedup_key"])
        session.commit()
        row = _log_row(session, org.id, day, REMINDER)
    if row.status == "done":
        return "already sent"
    sender = _sender(settings, conn)
    rows = outbox.pending(session, prefix)
    if rows:
        outbox.deliver(session, sender, rows, now)
    statuses: dict[str, set[str]] = {}
    for r in outbound_for(session, prefix):
        statuses.setdefault(r.recipient, set()).add(r.status)
    if any(s & {"pending", "sending"} for s in statuses.values()):
        raise StillSending("reminders still being sent")
    lost = {rid for rid, s in statuses.items() if s & {"unreachable", "failed"}}
    plan = plan_reminders(session, org, day, now)  # names and chapters for the admins' list
    heads = {h.recipient: h for h in plan.heads}
    unreached = [heads[r] for r in sorted(lost) if r in heads]
    if unreached or plan.headless:
        tell_admins(session, sender, org, f"remindnote:{org.id}:{day.isoformat()}:", "reminder_admin",
                    {"org_name": org.name, "week_start": plan.week_start, "day": day, "nudged": None,
                     "unreachable": unreached, "headless": plan.headless}, now)
    row.status, row.finished_at = "done", now
    session.commit()
    sent = sum(1 for s in statuses.values() if s == {"sent"})
    return f"reminded {sent}, unreachable {len(lost)}"


# -- flask digest --------------------------------------------------------------------------------

@click.command("digest")
@with_appcontext
@click.option("--org", "org_code", required=True, help="the organization's code")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="the local day, YYYY-MM-DD")
@click.option("--send", is_flag=True, help="deliver it as the schedule would (once per day)")
def digest_command(org_code: str, day: datetime, send: bool):
    """Print an organization's digest for a day; with --send, deliver it (exactly once)."""
    from flask import current_app

    settings = current_app.config["SETTINGS"]
    the_day = day.date()
    session = sessionmaker_for(settings.database_url)()
    try:
        try:
            org = _org(session, org_code)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        text, _facts = compose(session, org, the_day, clock.now())
        click.echo(text)
        if send:
            conn = connect(resolve_redis_url(settings))
            try:
                result = run_digest(session, settings, conn, org_code, the_day, clock.now())
            finally:
                conn.close()
            click.echo(f"-- {result}")
    finally:
        session.close()
