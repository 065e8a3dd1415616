"""The facts behind an organization's daily digest, read from the database (SQL only, no Zalo).

Every figure is a SUM over items of ACTIVE reports chosen by ``report_date``, the local date
(Asia/Ho_Chi_Minh) the parser gave the report; corrections and cancellations of the day are
chosen by their UTC instant between local midnights. ``bot.digest.build.build_digest`` turns these
facts into what people read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.reporting.stats import item_sums
from bot.storage.models import (
    Chapter,
    Identity,
    Membership,
    Organization,
    Person,
    Report,
    ReportChange,
    Target,
)

WINDOW = timedelta(days=7)  # Zalo's CS window: no 1:1 message past 7 days without interaction
SILENT_DAYS = 7


@dataclass(frozen=True)
class OrgInfo:
    id: int
    code: str
    name: str
    timezone: str
    digest_sink: str
    group_id: str | None

    @classmethod
    def of(cls, org: Organization) -> OrgInfo:
        return cls(org.id, org.code, org.name, org.timezone, org.digest_sink, org.group_id)


@dataclass(frozen=True)
class Figure:
    """Sums for one indicator; None where no item carried that field."""

    quantity: int | None = None
    value_vnd: int | None = None

    def __add__(self, other: Figure) -> Figure:
        def plus(a, b):
            return b if a is None else a if b is None else a + b

        return Figure(plus(self.quantity, other.quantity), plus(self.value_vnd, other.value_vnd))


@dataclass(frozen=True)
class ChapterFigures:
    chapter_id: int
    code: str
    name: str
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Change:
    chapter: str
    action: str  # cancel | correct
    count: int


@dataclass(frozen=True)
class Facts:
    """Everything the digest says about one organization and one local day."""

    day: date
    chapters_total: int
    reported_today: int  # chapters with an active report dated ``day``
    today: dict[str, Figure]
    month: dict[str, Figure]
    year: dict[str, Figure]
    today_by_chapter: list[ChapterFigures]
    month_by_chapter: list[ChapterFigures]  # every active chapter, for the chart
    targets: dict[str, int]  # the year's target per indicator, summed over chapters
    targets_by_chapter: dict[int, dict[str, int]]
    silent: list[str]  # chapters with no report in the 7 days ending ``day``
    changes: list[Change]
    pending: list[tuple[str, int]]  # (chapter, reports awaiting confirmation)
    unreachable: list[str]  # committee members Zalo will not let us message 1:1
    indicators: list[str] = field(default_factory=list)  # the org's own indicator codes, in order
    # chapters that reported ``day`` with no figures at all (a nil report: "không có hoạt động")
    no_activity: list[str] = field(default_factory=list)


def local_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants of ``day``'s local midnight and the next one."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def _sums(session: Session, org_id: int, first: date, last: date, by_chapter: bool = False):
    for *key, q_sum, v_sum in item_sums(session, org_id, first, last, group_by_chapter=by_chapter):
        figure = Figure(int(q_sum) if q_sum is not None else None, int(v_sum) if v_sum is not None else None)
        yield (tuple(key) if by_chapter else key[0]), figure


def _figures(session, org_id, first, last) -> dict[str, Figure]:
    return {indicator: fig for indicator, fig in _sums(session, org_id, first, last)}


def _by_chapter(session, org_id, first, last, chapters: dict[int, Chapter], all_chapters: bool):
    per: dict[int, dict[str, Figure]] = {cid: {} for cid in chapters} if all_chapters else {}
    for (chapter_id, indicator), fig in _sums(session, org_id, first, last, by_chapter=True):
        per.setdefault(chapter_id, {})[indicator] = fig
    return [ChapterFigures(cid, chapters[cid].code, chapters[cid].name, per[cid])
            for cid in sorted(per) if cid in chapters]


def committee_reachability(session: Session, org_id: int, now: datetime):
    """Committee members (admins first) with their OA id and whether Zalo's window is open.

    Returns ``[(person, role, identity | None, reachable)]``: unreachable means Zalo refused a
    send (``unreachable_since``) or their last message is older than 7 days. A member we have
    never heard from is tried: Zalo's answer decides."""
    rows = session.execute(
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.org_id == org_id, Membership.chapter_id.is_(None),
               Membership.role.in_(("admin", "member")))
        .order_by(Membership.role, Person.id)  # "admin" sorts before "member"
    ).all()
    out, seen = [], set()
    for person, role in rows:
        if person.id in seen:
            continue
        seen.add(person.id)
        identity = session.scalar(
            select(Identity).where(Identity.person_id == person.id, Identity.channel == "oa")
            .order_by(Identity.id)
        )
        out.append((person, role, identity, reachable(identity, now)))
    return out


def reachable(identity: Identity | None, now: datetime) -> bool:
    if identity is None or identity.unreachable_since is not None:
        return False
    return identity.last_inbound_at is None or identity.last_inbound_at >= now - WINDOW


def gather_facts(session: Session, org: Organization, day: date, now: datetime) -> Facts:
    """The facts of ``day`` (a local date of the organization) as the database has them now."""
    chapters = {c.id: c for c in session.scalars(
        select(Chapter).where(Chapter.org_id == org.id, Chapter.active).order_by(Chapter.id))}
    month_start = day.replace(day=1)
    year_start = day.replace(month=1, day=1)

    today_by_chapter = _by_chapter(session, org.id, day, day, chapters, all_chapters=False)
    reported_ids = set(session.scalars(
        select(Report.chapter_id).where(Report.org_id == org.id, Report.status == "active",
                                        Report.report_date == day))) & set(chapters)
    reported_today = len(reported_ids)
    with_figures = {c.chapter_id for c in today_by_chapter}
    no_activity = [chapters[cid].name for cid in sorted(reported_ids - with_figures)]

    targets: dict[str, int] = {}
    targets_by_chapter: dict[int, dict[str, int]] = {}
    own: dict[str, int] = {}  # the organization's own targets (no chapter) override the chapters' sum
    for t in session.scalars(select(Target).where(Target.org_id == org.id, Target.year == day.year)):
        if t.chapter_id is None:
            own[t.indicator] = int(t.target)
            continue
        if t.chapter_id not in chapters:
            continue
        targets[t.indicator] = targets.get(t.indicator, 0) + int(t.target)
        targets_by_chapter.setdefault(t.chapter_id, {})[t.indicator] = int(t.target)
    targets.update(own)

    last_report = dict(session.execute(
        select(Report.chapter_id, func.max(Report.report_date))
        .where(Report.org_id == org.id, Report.status.in_(("active", "pending")),
               Report.report_date <= day)
        .group_by(Report.chapter_id)).all())
    quiet_since = day - timedelta(days=SILENT_DAYS - 1)
    silent = [c.name for cid, c in chapters.items()
              if last_report.get(cid) is None or last_report[cid] < quiet_since]

    start, end = local_bounds(day, org.timezone)
    change_rows = session.execute(
        select(Report.chapter_id, ReportChange.action, func.count(ReportChange.id))
        .join(Report, Report.id == ReportChange.report_id)
        .where(ReportChange.org_id == org.id, ReportChange.at >= start, ReportChange.at < end)
        .group_by(Report.chapter_id, ReportChange.action)
        .order_by(Report.chapter_id, ReportChange.action)).all()
    names = {c.id: c.name for c in session.scalars(select(Chapter).where(Chapter.org_id == org.id))}
    changes = [Change(names.get(cid, "?"), action, int(n)) for cid, action, n in change_rows]

    pending_rows = session.execute(
        select(Report.chapter_id, func.count(Report.id))
        .where(Report.org_id == org.id, Report.status == "pending", Report.report_date <= day)
        .group_by(Report.chapter_id).order_by(Report.chapter_id)).all()
    pending = [(names.get(cid, "?"), int(n)) for cid, n in pending_rows]

    unreachable = [person.name or (identity.display_name if identity else None) or "?"
                   for person, _role, identity, ok in committee_reachability(session, org.id, now)
                   if not ok]

    return Facts(
        day=day,
        chapters_total=len(chapters),
        reported_today=reported_today,
        today=_figures(session, org.id, day, day),
        month=_figures(session, org.id, month_start, day),
        year=_figures(session, org.id, year_start, day),
        today_by_chapter=today_by_chapter,
        month_by_chapter=_by_chapter(session, org.id, month_start, day, chapters, all_chapters=True),
        targets=targets,
        targets_by_chapter=targets_by_chapter,
        silent=silent,
        changes=changes,
        pending=pending,
        unreachable=unreachable,
        indicators=[str(i.get("code")) for i in (org.indicators or []) if isinstance(i, dict) and i.get("code")],
        no_activity=no_activity,
    )
