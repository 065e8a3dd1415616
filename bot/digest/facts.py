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

from bot.reporting.stats import OrgScope, Total, child_orgs, in_orgs, item_sums, subtree_ids, tree_targets
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
class CommuneFacts:
    """One commune of a province's digest: its chapters that day and in 7 days, its year against
    its targets (the mean of its indicators' percentages; None without targets)."""

    code: str
    name: str
    reported_today: int
    chapters_total: int
    silent: int  # its chapters with no report in the 7 days ending the day
    pct: int | None


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
    # a province association's communes (empty for an organization with none under it)
    communes: list[CommuneFacts] = field(default_factory=list)


def local_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants of ``day``'s local midnight and the next one."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def _sums(session: Session, org_id: OrgScope, first: date, last: date, by_chapter: bool = False):
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


def _communes(session: Session, org: Organization, day: date, chapters: dict[int, Chapter],
              reported_ids: set[int], silent_ids: set[int]) -> list[CommuneFacts]:
    """The communes under ``org``, best against their targets first (those without targets last)."""
    out = []
    for commune in child_orgs(session, org.id):
        scope = subtree_ids(session, commune.id)
        ids = {cid for cid, c in chapters.items() if c.org_id in scope}
        wanted = {k: v for k, v in tree_targets(session, commune.id, day.year).items() if v > 0}
        year = _figures(session, scope, day.replace(month=1, day=1), day)
        catalog = commune.catalog
        done = {k: Total(k, (year.get(k) or Figure()).quantity, (year.get(k) or Figure()).value_vnd).measure(catalog)
                for k in wanted}
        pct = round(sum(100 * done[k] / wanted[k] for k in wanted) / len(wanted)) if wanted else None
        out.append(CommuneFacts(commune.code, commune.name, len(ids & reported_ids), len(ids), len(ids & silent_ids), pct))
    return sorted(out, key=lambda c: (c.pct is None, -(c.pct or 0), c.name))


def gather_facts(session: Session, org: Organization, day: date, now: datetime) -> Facts:
    """The facts of ``day`` (a local date of the organization) as the database has them now; for a
    province association, over its communes' chapters, with each commune's line."""
    scope = subtree_ids(session, org.id)
    chapters = {c.id: c for c in session.scalars(
        select(Chapter).where(in_orgs(Chapter.org_id, scope), Chapter.active).order_by(Chapter.id))}
    month_start = day.replace(day=1)
    year_start = day.replace(month=1, day=1)

    today_by_chapter = _by_chapter(session, scope, day, day, chapters, all_chapters=False)
    reported_ids = set(session.scalars(
        select(Report.chapter_id).where(in_orgs(Report.org_id, scope), Report.status == "active",
                                        Report.report_date == day))) & set(chapters)
    reported_today = len(reported_ids)
    with_figures = {c.chapter_id for c in today_by_chapter}
    no_activity = [chapters[cid].name for cid in sorted(reported_ids - with_figures)]

    # the chapters' targets summed, the organization's own (no chapter) overriding; for a province,
    # its own targets, else its communes' (stats.tree_targets)
    targets = tree_targets(session, org.id, day.year)
    targets_by_chapter: dict[int, dict[str, int]] = {}
    for t in session.scalars(select(Target).where(in_orgs(Target.org_id, scope), Target.year == day.year,
                                                  Target.chapter_id.is_not(None))):
        if t.chapter_id in chapters:
            targets_by_chapter.setdefault(t.chapter_id, {})[t.indicator] = int(t.target)

    last_report = dict(session.execute(
        select(Report.chapter_id, func.max(Report.report_date))
        .where(in_orgs(Report.org_id, scope), Report.status.in_(("active", "pending")),
               Report.report_date <= day)
        .group_by(Report.chapter_id)).all())
    quiet_since = day - timedelta(days=SILENT_DAYS - 1)
    silent_ids = {cid for cid in chapters if last_report.get(cid) is None or last_report[cid] < quiet_since}
    silent = [c.name for cid, c in chapters.items() if cid in silent_ids]

    start, end = local_bounds(day, org.timezone)
    change_rows = session.execute(
        select(Report.chapter_id, ReportChange.action, func.count(ReportChange.id))
        .join(Report, Report.id == ReportChange.report_id)
        .where(in_orgs(ReportChange.org_id, scope), ReportChange.at >= start, ReportChange.at < end)
        .group_by(Report.chapter_id, ReportChange.action)
        .order_by(Report.chapter_id, ReportChange.action)).all()
    names = {c.id: c.name for c in session.scalars(select(Chapter).where(in_orgs(Chapter.org_id, scope)))}
    changes = [Change(names.get(cid, "?"), action, int(n)) for cid, action, n in change_rows]

    pending_rows = session.execute(
        select(Report.chapter_id, func.count(Report.id))
        .where(in_orgs(Report.org_id, scope), Report.status == "pending", Report.report_date <= day)
        .group_by(Report.chapter_id).order_by(Report.chapter_id)).all()
    pending = [(names.get(cid, "?"), int(n)) for cid, n in pending_rows]

    unreachable = [person.name or (identity.display_name if identity else None) or "?"
                   for person, _role, identity, ok in committee_reachability(session, org.id, now)
                   if not ok]

    return Facts(
        day=day,
        chapters_total=len(chapters),
        reported_today=reported_today,
        today=_figures(session, scope, day, day),
        month=_figures(session, scope, month_start, day),
        year=_figures(session, scope, year_start, day),
        today_by_chapter=today_by_chapter,
        month_by_chapter=_by_chapter(session, scope, month_start, day, chapters, all_chapters=True),
        targets=targets,
        targets_by_chapter=targets_by_chapter,
        silent=silent,
        changes=changes,
        pending=pending,
        unreachable=unreachable,
        indicators=[str(i.get("code")) for i in (org.indicators or []) if isinstance(i, dict) and i.get("code")],
        no_activity=no_activity,
        communes=_communes(session, org, day, chapters, reported_ids, silent_ids),
    )
