"""The weekly reminders: heads of chapters with no report this week get one nudge per day due.

Enqueued by ``tick`` (bot.digest.jobs) on the organization's reminder weekday and time; exactly
once per organization and day, like the digest (the ``DigestLog`` row decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.digest.facts import reachable
from bot.digest.jobs import REMINDER, exclusive, log_row, org_by_code
from bot.digest.sinks import tell_admins
from bot.outbound import outbox
from bot.outbound.outbox import StillSending
from bot.outbound.sender import sender_for
from bot.render import render
from bot.runtime import runtime
from bot.storage.db import sessionmaker_for
from bot.storage.models import (
    Chapter,
    DigestLog,
    Identity,
    Membership,
    Organization,
    OutboundMessage,
    Person,
    Report,
)
from bot.storage.store import insert_ignore, outbound_for


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
    settings, conn = runtime()
    session = sessionmaker_for(settings.database_url)()
    try:
        return run_reminders(session, settings, conn, org_code, date.fromisoformat(day_iso), clock.now())
    finally:
        session.close()


def run_reminders(session: Session, settings, conn, org_code: str, day: date, now: datetime) -> str:
    org = org_by_code(session, org_code)
    with exclusive(conn, "reminder", org, day):
        return _run_reminders(session, settings, conn, org, day, now)


def _run_reminders(session, settings, conn, org, day, now) -> str:
    prefix = f"remind:{org.id}:{day.isoformat()}:"
    row = log_row(session, org.id, day, REMINDER)
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
        row = log_row(session, org.id, day, REMINDER)
    if row.status == "done":
        return "already sent"
    sender = sender_for(settings, conn)
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
