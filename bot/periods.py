"""Vietnamese report periods (``tuần này``, ``tháng 10``, ``quý 3``, ``năm 2025`` …) as date ranges (pure).

``parse_period(text, today)`` returns a ``Period(start, end, label)`` with both ends included, or
None when the text names no period we know. Case, diacritics and extra spaces do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.parsing.text import fold

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str  # Vietnamese, e.g. "tháng 11/2026"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _fold(text: str) -> str:
    return " ".join(fold(text).split())


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def month(year: int, m: int, label: str | None = None) -> Period:
    return Period(date(year, m, 1), _month_end(year, m), label or f"tháng {m}/{year}")


def year_period(year: int, label: str | None = None) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), label or f"năm {year}")


def today_period(today: date) -> Period:
    return Period(today, today, f"hôm nay, {_d(today)}")


def this_month(today: date) -> Period:
    return month(today.year, today.month)


def last_days(today: date, n: int = 7) -> Period:
    """The ``n`` days ending today, today included."""
    return Period(today - timedelta(days=n - 1), today, f"{n} ngày qua ({_d(today - timedelta(days=n - 1))}–{_d(today)})")


def _week(monday: date, word: str) -> Period:
    sunday = monday + timedelta(days=6)
    return Period(monday, sunday, f"{word} ({_d(monday)}–{_d(sunday)})")


def _year_of(match: re.Match, group: str, today: date) -> int | None:
    raw = match.group(group) or match.groupdict().get("year4")
    if raw is None:
        return today.year
    y = int(raw)
    if y < 100:
        y += 2000
    return y if 2000 <= y <= 2100 else None


_YEAR = r"(?:\s*(?:/|-|nam)\s*(?P<year>\d{2}|\d{4})|\s+(?P<year4>\d{4}))?"
_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^(?:hom nay|hnay|ngay hom nay)$"), "today"),
    (re.compile(r"^(?:hom qua|hqua)$"), "yesterday"),
    (re.compile(r"^tuan (?:nay|hien tai)$"), "this_week"),
    (re.compile(r"^tuan (?:truoc|qua|roi)$"), "last_week"),
    (re.compile(r"^thang (?:nay|hien tai)$"), "this_month"),
    (re.compile(r"^thang (?:truoc|roi)$"), "last_month"),
    (re.compile(r"^thang (?P<m>\d{1,2})" + _YEAR + "$"), "month"),
    (re.compile(r"^quy (?P<q>[1-4]|iv|iii|ii|i)" + _YEAR + "$"), "quarter"),
    (re.compile(r"^(?:6 thang|sau thang|nua) dau nam" + _YEAR + "$"), "half1"),
    (re.compile(r"^(?:6 thang|sau thang|nua) cuoi nam" + _YEAR + "$"), "half2"),
    (re.compile(r"^nam (?:nay|hien tai)$"), "this_year"),
    (re.compile(r"^nam (?:truoc|ngoai|roi)$"), "last_year"),
    (re.compile(r"^nam (?P<year>\d{4})$"), "year"),
    (re.compile(r"^(?P<n>\d{1,3}) ngay(?: qua| gan day| vua qua)?$"), "days"),
    (re.compile(r"^(?:ngay )?(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<year>\d{2}|\d{4}))?$"), "date"),
]


def parse_period(text: str | None, today: date) -> Period | None:
    """The period ``text`` names, relative to ``today``; None if it names none we know."""
    norm = _fold(text or "").strip(" .?!:")
    for pattern, kind in _PATTERNS:
        m = pattern.match(norm)
        if m is None:
            continue
        try:
            return _build(kind, m, today)
        except ValueError:  # 31/02, tháng 13, an impossible year
            return None
    return None


def _build(kind: str, m: re.Match, today: date) -> Period | None:
    if kind == "today":
        return today_period(today)
    if kind == "yesterday":
        day = today - timedelta(days=1)
        return Period(day, day, f"hôm qua, {_d(day)}")
    if kind == "this_week":
        return _week(today - timedelta(days=today.weekday()), "tuần này")
    if kind == "last_week":
        return _week(today - timedelta(days=today.weekday() + 7), "tuần trước")
    if kind == "this_month":
        return this_month(today)
    if kind == "last_month":
        first = today.replace(day=1) - timedelta(days=1)
        return month(first.year, first.month)
    if kind == "this_year":
        return year_period(today.year)
    if kind == "last_year":
        return year_period(today.year - 1)
    if kind == "days":
        n = int(m.group("n"))
        return last_days(today, n) if 1 <= n <= 366 else None
    year = _year_of(m, "year", today) if "year" in m.re.groupindex else today.year
    if year is None:
        return None
    if kind == "month":
        n = int(m.group("m"))
        return month(year, n) if 1 <= n <= 12 else None
    if kind == "quarter":
        raw = m.group("q")
        q = _ROMAN.get(raw) or int(raw)
        start = date(year, 3 * q - 2, 1)
        return Period(start, _month_end(year, 3 * q), f"quý {q}/{year}")
    if kind == "half1":
        return Period(date(year, 1, 1), date(year, 6, 30), f"6 tháng đầu năm {year}")
    if kind == "half2":
        return Period(date(year, 7, 1), date(year, 12, 31), f"6 tháng cuối năm {year}")
    if kind == "year":
        return year_period(year)
    if kind == "date":
        day = date(year, int(m.group("m")), int(m.group("d")))
        return Period(day, day, f"ngày {_d(day)}")
    return None


def year_share(today: date) -> float:
    """How much of ``today``'s year has gone by, today included (0 < share ≤ 1)."""
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    return ((today - start).days + 1) / ((end - start).days + 1)
