"""The dashboard's figures: today, this month and this year per indicator against the year's
targets, and the chapters with no counted report in the last 7 days. Every sum comes from the
named queries of ``bot/reporting/stats.py`` (the ones ``tổng``, ``chỉ tiêu`` and the export use)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.periods import last_days, this_month, year_share
from bot.render import environment
from bot.reporting import stats
from bot.reporting.stats import Progress, Total
from console.access import Access, visible_chapters


def pace_label(done: int, target: int, today: date, money: bool) -> str:
    """The words ``chỉ tiêu`` puts after a line: ``Progress.pace`` worded by its own template."""
    pace = Progress("", done, target, done / target, year_share(today), money).pace
    return environment().get_template("stats_macros.txt").module.PACE[pace]


def _cell(total: Total | None, indicator) -> dict:
    total = total or Total(indicator.code if indicator else "")
    has_quantity = indicator is None or indicator.has_quantity
    return {"quantity": total.quantity if has_quantity else None, "value_vnd": total.value_vnd,
            "empty": total.quantity is None and total.value_vnd is None}


def dashboard_view(session: Session, acc: Access, now: datetime) -> dict:
    """What ``console/dashboard.html`` shows for ``acc`` (a head: their own chapters only)."""
    org, ids = acc.org, acc.chapter_ids
    catalog = org.catalog
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    month = this_month(today)
    periods = {
        "today": stats.totals(session, org.id, today, today, ids, catalog),
        "month": stats.totals(session, org.id, month.start, today, ids, catalog),
        "year": stats.totals(session, org.id, date(today.year, 1, 1), today, ids, catalog),
    }
    wanted = stats.targets(session, org.id, today.year, ids)
    codes = [c for c in catalog.codes if c in wanted or any(c in p for p in periods.values())]
    rows = []
    for code in codes:
        ind = catalog.get(code)
        year_total = periods["year"].get(code, Total(code))
        target = wanted.get(code)
        done = year_total.measure(catalog)
        rows.append({
            **stats.indicator_view(code, catalog),
            **{name: _cell(found.get(code), ind) for name, found in periods.items()},
            "target": target, "money": bool(ind and not ind.has_quantity), "done": done,
            "percent": round(100 * done / target) if target else None,
            "pace": pace_label(done, target, today, bool(ind and not ind.has_quantity)) if target else None,
        })  # fmt: skip
    week = last_days(today)
    reported = stats.reporting_chapter_ids(session, org.id, week.start, week.end)
    silent = [c for c in visible_chapters(session, acc) if c.active and c.id not in reported]
    return {"today": today, "month": month, "rows": rows, "week": week, "silent": silent,
            "last_dates": {c.id: stats.last_report_date(session, c.id) for c in silent}}
