"""Named read queries for the committee's commands and the export: sums over ACTIVE reports only.

Cancelled, replaced and pending (not yet confirmed) reports never count. A target is measured in
its indicator's quantity when it has one (suất, đơn vị, người), else in đồng (tiền vận động).

Where a query takes ``org_id`` it also takes a collection of organization ids: a province
association's subtree (``subtree_ids``), whose chapters all belong to its communes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.parsing.catalog import Catalog, default_catalog
from bot.periods import this_month, year_share
from bot.storage.models import Chapter, Organization, Report, ReportItem, Target

ACTIVE = "active"


@dataclass
class Total:
    """One indicator's sums: quantity and value (None when nothing of that kind was reported)."""

    indicator: str
    quantity: int | None = None
    value_vnd: int | None = None

    def measure(self, catalog: Catalog) -> int:
        """The figure a target is compared with."""
        ind = catalog.get(self.indicator)
        if ind is not None and not ind.has_quantity:
            return self.value_vnd or 0
        return self.quantity or 0


OrgScope = int | Iterable[int]


def in_orgs(column, org_id: OrgScope) -> ColumnElement[bool]:
    """``column`` within one organization, or within several (a province and its communes)."""
    if isinstance(org_id, int):
        return column == org_id
    return column.in_(list(org_id))


def child_orgs(session: Session, org_id: int) -> list[Organization]:
    """The organizations directly under ``org_id`` (a province's communes), by name."""
    return list(session.scalars(select(Organization).where(Organization.parent_id == org_id,
                                                          Organization.merged_into_id.is_(None))
                                .order_by(Organization.name)))


def commune_name(name: str) -> str:
    """``Hội Chữ thập đỏ xã Điện Phước`` -> ``xã Điện Phước`` (the name as it is, without one)."""
    for word in (" xã ", " phường ", " đặc khu "):
        if word in name:
            return word.strip() + " " + name.split(word, 1)[1]
    return name


def subtree_ids(session: Session, org_id: int) -> list[int]:
    """``org_id`` and every organization below it, level by level (one query per level)."""
    found, level = [org_id], [org_id]
    while level:
        level = [i for i in session.scalars(select(Organization.id).where(Organization.parent_id.in_(level)))
                 if i not in found]
        found += level
    return found


def item_sums(session: Session, org_id: OrgScope, start: date, end: date, chapter_ids=None, group_by_chapter=False):
    """Rows of ([chapter id,] indicator, quantity sum, value sum) over active reports dated ``start``..``end``;
    a sum is None where no item carried that field."""
    cols = [ReportItem.indicator, func.sum(ReportItem.quantity), func.sum(ReportItem.value_vnd)]
    if group_by_chapter:
        cols.insert(0, Report.chapter_id)
    stmt = (
        select(*cols)
        .join(Report, Report.id == ReportItem.report_id)
        .where(in_orgs(Report.org_id, org_id), Report.status == ACTIVE, Report.report_date.between(start, end))
        .group_by(*([Report.chapter_id] if group_by_chapter else []), ReportItem.indicator)
    )
    if chapter_ids is not None:
        stmt = stmt.where(Report.chapter_id.in_(list(chapter_ids)))
    return session.execute(stmt).all()


def _ordered(totals: dict[str, Total], catalog: Catalog) -> dict[str, Total]:
    order = {code: i for i, code in enumerate(catalog.codes)}
    return dict(sorted(totals.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def totals(session: Session, org_id: OrgScope, start: date, end: date, chapter_ids=None, catalog: Catalog | None = None) -> dict[str, Total]:
    """Indicator -> Total over active reports dated ``start``..``end`` (one chapter set, or all)."""
    out = {
        ind: Total(ind, int(q) if q is not None else None, int(v) if v is not None else None)
        for ind, q, v in item_sums(session, org_id, start, end, chapter_ids)
    }
    return _ordered(out, catalog or default_catalog())


def totals_by_chapter(session: Session, org_id: OrgScope, start: date, end: date) -> dict[int, dict[str, Total]]:
    """Chapter id -> indicator -> Total, over active reports in the period."""
    out: dict[int, dict[str, Total]] = {}
    for chapter_id, ind, q, v in item_sums(session, org_id, start, end, group_by_chapter=True):
        out.setdefault(chapter_id, {})[ind] = Total(ind, int(q) if q is not None else None, int(v) if v is not None else None)
    return out


def chapters(session: Session, org_id: OrgScope) -> list[Chapter]:
    return list(session.scalars(select(Chapter).where(in_orgs(Chapter.org_id, org_id), Chapter.active).order_by(Chapter.id)))


def reporting_chapter_ids(session: Session, org_id: OrgScope, start: date, end: date) -> set[int]:
    """Chapters with at least one active report dated in the period."""
    return set(
        session.scalars(
            select(Report.chapter_id)
            .where(in_orgs(Report.org_id, org_id), Report.status == ACTIVE, Report.report_date.between(start, end))
            .distinct()
        )
    )


def chapters_without_reports(session: Session, org_id: OrgScope, start: date, end: date) -> list[Chapter]:
    done = reporting_chapter_ids(session, org_id, start, end)
    return [c for c in chapters(session, org_id) if c.id not in done]


def last_report_date(session: Session, chapter_id: int) -> date | None:
    return session.scalar(
        select(func.max(Report.report_date)).where(Report.chapter_id == chapter_id, Report.status == ACTIVE)
    )


def targets(session: Session, org_id: int, year: int, chapter_ids=None) -> dict[str, int]:
    """Indicator -> the year's target summed over the chapters (all active ones, or those given);
    for the whole organization, its own target (no chapter) where the committee set one."""
    stmt = (
        select(Target.indicator, func.sum(Target.target))
        .join(Chapter, Chapter.id == Target.chapter_id)
        .where(Target.org_id == org_id, Target.year == year, Chapter.active)
        .group_by(Target.indicator)
    )
    if chapter_ids is not None:
        stmt = stmt.where(Target.chapter_id.in_(list(chapter_ids)))
    out = {ind: int(t) for ind, t in session.execute(stmt).all()}
    if chapter_ids is None:
        own = select(Target.indicator, Target.target).where(
            Target.org_id == org_id, Target.year == year, Target.chapter_id.is_(None))
        out.update({ind: int(t) for ind, t in session.execute(own).all()})
    return out


def tree_targets(session: Session, org_id: int, year: int) -> dict[str, int]:
    """Indicator -> the year's target of ``org_id`` with everything below it: the organizations
    under it summed, where it has no target of its own (its chapters' or its own, ``targets``)."""
    below: dict[str, int] = {}
    for child in session.scalars(select(Organization.id).where(Organization.parent_id == org_id,
                                                               Organization.merged_into_id.is_(None))):
        for ind, value in tree_targets(session, child, year).items():
            below[ind] = below.get(ind, 0) + value
    return {**below, **targets(session, org_id, year)}


@dataclass
class Progress:
    indicator: str
    done: int
    target: int
    ratio: float  # done / target
    share: float  # how much of the year has gone by
    money: bool  # the target is in đồng

    @property
    def pace(self) -> str:
        """ahead | on_track | behind: the ratio against the share of the year gone."""
        if self.ratio >= self.share + 0.05:
            return "ahead"
        if self.ratio >= self.share - 0.05:
            return "on_track"
        return "behind"


def target_progress(session: Session, org: Organization, today: date, chapter_ids=None, year: int | None = None) -> list[Progress]:
    """Year-to-date progress per indicator that has a target, in catalog order; for the whole
    organization, its subtree (a province: its own targets, else its communes', against their sum)."""
    year = year or today.year
    catalog = org.catalog
    scope: OrgScope = org.id
    if chapter_ids is None:
        scope = subtree_ids(session, org.id)
        wanted = tree_targets(session, org.id, year)
    else:
        wanted = targets(session, org.id, year, chapter_ids)
    end = min(today, date(year, 12, 31))
    done = totals(session, scope, date(year, 1, 1), end, chapter_ids, catalog)
    share = 1.0 if year < today.year else (0.0 if year > today.year else year_share(today))
    rows = []
    for code in [c for c in catalog.codes if c in wanted] + sorted(set(wanted) - set(catalog.codes)):
        target = wanted[code]
        ind = catalog.get(code)
        figure = done.get(code, Total(code)).measure(catalog)
        rows.append(
            Progress(code, figure, target, figure / target if target else 0.0, share, bool(ind and not ind.has_quantity))
        )
    return rows


def total_views(found: dict[str, Total], catalog: Catalog) -> list[dict]:
    """What the templates' item_line macro needs, one dict per indicator."""
    views = []
    for code, total in found.items():
        ind = catalog.get(code)
        quantity = total.quantity if (ind is None or ind.has_quantity) else None
        views.append({**indicator_view(code, catalog), "quantity": quantity, "value_vnd": total.value_vnd})
    return views


def progress_views(rows: list[Progress], catalog: Catalog) -> list[dict]:
    """What the templates need for a progress line."""
    return [
        {**indicator_view(p.indicator, catalog), "done": p.done, "target": p.target, "money": p.money, "pace": p.pace}
        for p in rows
    ]


def indicator_view(code: str, catalog) -> dict:
    """How templates name an indicator: its code, Vietnamese name and unit (the code if unknown)."""
    indicator = catalog.get(code)
    return {
        "code": code,
        "name": indicator.name if indicator else code,
        "unit": indicator.unit if indicator else "",
    }


def item_views(items, catalog) -> list[dict]:
    """What a template needs to show an item: code, name, unit, quantity, value."""
    return [
        {**indicator_view(item.indicator, catalog), "quantity": item.quantity, "value_vnd": item.value_vnd}
        for item in items
    ]


def chapter_view(session: Session, chapter: Chapter, today: date) -> dict:
    """A chapter's month totals, year progress and last report day, for the templates."""
    org = chapter.org
    catalog = org.catalog
    month = this_month(today)
    found = totals(session, org.id, month.start, today, [chapter.id], catalog)
    progress = target_progress(session, org, today, [chapter.id])
    return {
        "chapter": chapter,
        "month": month,
        "items": total_views(found, catalog),
        "progress": progress_views(progress, catalog),
        "year": today.year,
        "share": year_share(today),
        "last_date": last_report_date(session, chapter.id),
    }
