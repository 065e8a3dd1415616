"""Builders for the digest, sink, schedule and reminder tests: rows written straight through
SQLAlchemy (reports as the parser would store them), and the simulator's users set up."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select, text

from bot import clock
from bot.storage.db import session_scope
from bot.storage.models import (
    Chapter,
    Identity,
    Membership,
    Organization,
    Person,
    Report,
    ReportChange,
    ReportItem,
    Target,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ADMINS = ("7001000000000000001", "7001000000000000002")
MEMBER = "7001000000000000003"
COMMITTEE = (*ADMINS, MEMBER)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """An aware UTC instant for ``hh:mm`` local time on ``day`` (Asia/Ho_Chi_Minh)."""
    return datetime.combine(day, time(hh, mm), VN).astimezone(UTC)


def add_report(session, org: Organization, chapter: Chapter, at: datetime, items, status="active") -> Report:
    """A report sent at ``at`` (UTC); its report_date is the local date, as the parser sets it."""
    report = Report(org_id=org.id, chapter_id=chapter.id, report_date=at.astimezone(VN).date(),
                    raw_text="(test)", status=status, created_at=at)
    report.items = [ReportItem(indicator=i, quantity=q, value_vnd=v) for i, q, v in items]
    session.add(report)
    session.flush()
    return report


def org_and_chapters(session, code: str):
    org = session.scalar(select(Organization).where(Organization.code == code))
    chapters = list(session.scalars(select(Chapter).where(Chapter.org_id == org.id).order_by(Chapter.id)))
    return org, chapters


def random_items(rng: random.Random):
    items = []
    if rng.random() < 0.7:
        items.append(("gifts", rng.randint(1, 40), rng.choice([None, rng.randint(1, 40) * 500_000])))
    if rng.random() < 0.5:
        items.append(("blood_units", rng.randint(1, 12), None))
    if rng.random() < 0.4:
        items.append(("new_members", rng.randint(1, 6), None))
    if rng.random() < 0.3:
        items.append(("funds_raised", None, rng.randint(1, 50) * 100_000))
    if rng.random() < 0.1:
        items.append(("volunteers", rng.randint(1, 5), None))
    return items or [("blood_units", 1, None)]


def seed_month(db_url: str, code: str, year: int, month: int, seed: int = 7, upto: int = 30) -> None:
    """About a month of reports (active mostly; some cancelled, replaced and pending), plus a
    few from earlier in the year and from the previous year."""
    rng = random.Random(seed)
    with session_scope(db_url) as session:
        org, chapters = org_and_chapters(session, code)
        for d in range(1, upto + 1):
            day = date(year, month, d)
            for chapter in chapters:
                if rng.random() < 0.45:
                    at = local(day, rng.randint(0, 23), rng.randint(0, 59))
                    status = rng.choices(["active", "cancelled", "replaced", "pending"], [85, 6, 5, 4])[0]
                    add_report(session, org, chapter, at, random_items(rng), status)
        for _ in range(40):  # earlier this year, and last year (never in the year's figures)
            chapter = rng.choice(chapters)
            day = date(year, rng.randint(1, month - 1), rng.randint(1, 28))
            add_report(session, org, chapter, local(day, 9), random_items(rng))
            add_report(session, org, chapter, local(date(year - 1, 12, 31), 23, 59), random_items(rng))


def add_change(session, report: Report, action: str, at: datetime) -> None:
    session.add(ReportChange(report_id=report.id, org_id=report.org_id, action=action, at=at,
                             before={"status": "active"}, after=None))
    session.flush()


def sql_sums(db_url: str, code: str, first: date, last: date) -> dict[str, tuple]:
    """Independent ``SELECT SUM`` per indicator over active reports dated first..last."""
    from bot.storage.db import get_engine

    with get_engine(db_url).connect() as conn:
        rows = conn.execute(text(
            "SELECT i.indicator, SUM(i.quantity), SUM(i.value_vnd) FROM report_items i "
            "JOIN reports r ON r.id = i.report_id JOIN organizations o ON o.id = r.org_id "
            "WHERE o.code = :code AND r.status = 'active' AND r.report_date BETWEEN :a AND :b "
            "GROUP BY i.indicator"), {"code": code, "a": first, "b": last}).all()
    return {ind: (q, v) for ind, q, v in rows}


def set_org(db_url: str, code: str, **values) -> None:
    with session_scope(db_url) as session:
        org = session.scalar(select(Organization).where(Organization.code == code))
        for k, v in values.items():
            setattr(org, k, v)


def targets_for_year(db_url: str, code: str, year: int) -> None:
    """The example's 2026 targets again for ``year``: a test run in another year has its targets."""
    with session_scope(db_url) as session:
        org = session.scalar(select(Organization).where(Organization.code == code))
        have = {(t.chapter_id, t.indicator) for t in session.scalars(
            select(Target).where(Target.org_id == org.id, Target.year == year))}
        for t in session.scalars(select(Target).where(Target.org_id == org.id, Target.year == 2026)).all():
            if (t.chapter_id, t.indicator) not in have:
                session.add(Target(org_id=org.id, chapter_id=t.chapter_id, year=year,
                                   indicator=t.indicator, target=t.target))


def set_inbound(db_url: str, external_ids, when: datetime | None, unreachable=None) -> None:
    """What our database knows of each person's last message (Zalo's window, our view)."""
    with session_scope(db_url) as session:
        for ext in external_ids:
            ident = session.scalar(select(Identity).where(Identity.channel == "oa", Identity.external_id == ext))
            ident.last_inbound_at = when
            ident.unreachable_since = unreachable


def head_ids(db_url: str, code: str) -> list[str]:
    with session_scope(db_url) as session:
        org = session.scalar(select(Organization).where(Organization.code == code))
        return sorted(set(session.scalars(
            select(Identity.external_id).join(Person, Person.id == Identity.person_id)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.org_id == org.id, Membership.role == "head"))))


def sim_users(zalo, external_ids, last_interaction="now") -> None:
    """What Zalo knows: each user follows the OA and last wrote at ``last_interaction``."""
    body = [{"user_id": u, "last_interaction": last_interaction, "follower": True} for u in external_ids]
    requests.post(f"{zalo.url}/__fake/users", json=body, timeout=5).raise_for_status()


def days_ago_ms(days: float) -> int:
    return int((clock.now() - timedelta(days=days)).timestamp() * 1000)


def sent(zalo, **params) -> list[dict]:
    return requests.get(f"{zalo.url}/__fake/sent", params=params, timeout=5).json()["messages"]
