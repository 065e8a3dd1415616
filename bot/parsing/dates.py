"""Which day a report is about (pure, no I/O).

Phrases: ``hôm nay`` / ``sáng nay`` …, ``hôm qua`` / ``tối qua`` …, ``hôm kia``, ``dd/mm``,
``dd/mm/yyyy`` (also ``-`` and ``.``), ``ngày dd tháng mm [năm yyyy]``, with or without
diacritics. Resolved against the send time in Asia/Ho_Chi_Minh; ``dd/mm`` is the most
recent such day that is not in the future. A day more than one day in the future, or
more than a year back, is not taken as the report's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import clock
from bot.parsing.text import Token, nfc, tokenize

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_PART_OF_DAY = {"sang", "chieu", "toi", "trua", "dem", "hom", "buoi"}


@dataclass(slots=True)
class DateMention:
    start: int          # token index
    end: int            # token index after the mention
    day: date | None    # None when it names no usable day (future, impossible)


def local_today(sent_at: datetime | None) -> date:
    when = sent_at or clock.now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(VN).date()


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _recent(today: date, d: int, m: int) -> date | None:
    """The most recent d/m not after today."""
    for y in (today.year, today.year - 1, today.year - 2, today.year - 3, today.year - 4):
        got = _make(y, m, d)
        if got is not None and got <= today:
            return got
    return None


def _plausible(day: date | None, today: date) -> date | None:
    if day is None or day > today + timedelta(days=1) or day < today - timedelta(days=366):
        return None
    return day


def _int(tok: Token) -> int | None:
    return int(tok.text) if tok.kind == "n" and tok.text.isdigit() and len(tok.text) <= 4 else None


def _word(tokens: list[Token], i: int, *folded: str) -> bool:
    return i < len(tokens) and tokens[i].kind == "w" and tokens[i].f in folded


def _sep(tokens: list[Token], i: int, chars: str) -> bool:
    return i < len(tokens) and tokens[i].kind == "p" and tokens[i].text in chars and not tokens[i].gap


def match_date(tokens: list[Token], i: int, today: date, accented: bool) -> DateMention | None:
    """A date phrase starting at ``tokens[i]``, or None."""
    t = tokens[i]
    if t.kind == "w":
        nxt = i + 1
        if t.f in _PART_OF_DAY and _word(tokens, nxt, "nay", "qua", "kia"):
            w = tokens[nxt]
            if w.f == "nay" and w.sig in ("", "\u0302"):           # nay
                return DateMention(i, nxt + 1, today)
            if w.f == "qua" and w.sig == "" and t.f != "buoi":     # qua (not quà)
                return DateMention(i, nxt + 1, today - timedelta(days=1))
            if w.f == "kia" and t.f == "hom":
                return DateMention(i, nxt + 1, today - timedelta(days=2))
        if t.f == "ngay" and i + 1 < len(tokens):
            # ngày 15 tháng 11 [năm 2024]
            d = _int(tokens[i + 1])
            if d is not None and _word(tokens, i + 2, "thang") and i + 3 < len(tokens):
                m = _int(tokens[i + 3])
                if m is not None:
                    end = i + 4
                    if _word(tokens, end, "nam") and end + 1 < len(tokens) and _int(tokens[end + 1]):
                        y = _int(tokens[end + 1])
                        return DateMention(i, end + 2, _plausible(_make(y, m, d), today) if y else None)
                    return DateMention(i, end, _plausible(_recent(today, d, m), today) if 1 <= m <= 12 else None)
        return None
    if t.kind != "n":
        return None
    if "." in t.text:                      # 05.3.2024 is one number token
        parts = t.text.split(".")
        if len(parts) == 3 and len(parts[0]) <= 2 and len(parts[1]) <= 2 and len(parts[2]) == 4:
            d, m, y = (int(p) for p in parts)
            return DateMention(i, i + 1, _plausible(_make(y, m, d), today))
        return None
    d = _int(t)
    if d is None or not (_sep(tokens, i + 1, "/-.") and i + 2 < len(tokens)):
        return None
    sep = tokens[i + 1].text
    m = _int(tokens[i + 2]) if not tokens[i + 2].gap else None
    if m is None or not (1 <= d <= 31 and 1 <= m <= 12):
        return None
    if _sep(tokens, i + 3, sep) and i + 4 < len(tokens) and not tokens[i + 4].gap:
        y = _int(tokens[i + 4])
        if y is not None and len(tokens[i + 4].text) in (2, 4):
            y = y + 2000 if y < 100 else y
            return DateMention(i, i + 5, _plausible(_make(y, m, d), today))
        return None
    if sep != "/":
        return None
    return DateMention(i, i + 3, _plausible(_recent(today, d, m), today))


def find_dates(tokens: list[Token], today: date, accented: bool = False) -> list[DateMention]:
    out = []
    i = 0
    while i < len(tokens):
        got = match_date(tokens, i, today, accented)
        if got:
            out.append(got)
            i = got.end
        else:
            i += 1
    return out


def resolve_date(text: str, sent_at: datetime | None = None) -> date | None:
    """The day ``text`` names (the first usable date phrase), resolved in Asia/Ho_Chi_Minh."""
    tokens = tokenize(nfc(text))
    today = local_today(sent_at)
    for mention in find_dates(tokens, today):
        if mention.day is not None:
            return mention.day
    return None
