"""The evening digest as a value: ``build_digest(org_info, day, facts, now)`` is pure (no I/O).

``render_digest`` turns the value into text with ``templates/digest.txt``; the job
(``bot.digest.jobs``) gathers the facts, builds, renders and hands the text to a sink.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.digest.facts import Facts, Figure, OrgInfo
from bot.periods import year_share
from bot.render import VN_TZ, render
from bot.reporting.stats import commune_name

# The default catalog's order; an organization's own indicators follow, then anything else.
ORDER = ("gifts", "blood_units", "new_members", "volunteers", "funds_raised", "scholarships",
         "first_aid_trainees", "houses")
LABELS = {
    "gifts": "Quà", "blood_units": "Máu", "new_members": "Hội viên mới",
    "volunteers": "Tình nguyện viên", "funds_raised": "Vận động", "scholarships": "Học bổng",
    "first_aid_trainees": "Sơ cấp cứu", "houses": "Nhà nhân đạo",
}
SHORT = {
    "gifts": "quà", "blood_units": "máu", "new_members": "HV mới", "volunteers": "TNV",
    "funds_raised": "vận động", "scholarships": "học bổng", "first_aid_trainees": "SCC",
    "houses": "nhà",
}
UNITS = {"gifts": "suất", "blood_units": "đơn vị", "scholarships": "suất",
         "first_aid_trainees": "người", "houses": "căn"}
SHORT_UNITS = {**UNITS, "blood_units": "đv"}
MONEY_TARGET = frozenset({"funds_raised"})  # targets counted in đồng, not in quantity
SLOW_MARGIN = 10  # percentage points behind the share of the year before "chậm ⚠️"
CHAPTER_PREFIXES = ("Chi hội thôn ", "Chi hội trường ", "Chi hội ")


@dataclass(frozen=True)
class Line:
    code: str
    label: str  # "Quà"
    short: str  # "quà"
    quantity: int | None
    value_vnd: int | None
    unit: str
    short_unit: str


@dataclass(frozen=True)
class TargetLine:
    """One target's line: the year's figure against it in whole percent (stats.Progress is the query's row)."""

    code: str
    label: str
    done: int
    target: int
    unit: str  # "suất", "đ" for money, "" for a bare count
    pct: int
    pace: str  # "ok" | "slow" | "done" | ""


@dataclass(frozen=True)
class ChapterLine:
    name: str
    lines: list[Line]


@dataclass(frozen=True)
class ChangeLine:
    chapter: str
    cancelled: int
    corrected: int


@dataclass(frozen=True)
class CommuneLine:
    """A province digest's line for one commune (``facts.CommuneFacts``), in rank order."""

    name: str  # "xã Điện Phước"
    reported: int
    chapters_total: int
    silent: int
    pct: int | None


@dataclass(frozen=True)
class Digest:
    org_name: str
    sink: str
    day: date
    reported: int
    chapters_total: int
    today: list[Line]
    month_number: int
    month: list[Line]
    year: int
    year_share: int  # % of the year gone by the end of ``day``
    progress: list[TargetLine]
    year_other: list[Line]  # indicators with no target this year
    chapters: list[ChapterLine]
    silent: list[str]
    changes: list[ChangeLine]
    pending: list[tuple[str, int]]
    unreachable: list[str]
    generated_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    no_activity: list[str] = field(default_factory=list)  # reported the day with no figures (nil)
    communes: list[CommuneLine] = field(default_factory=list)  # a province's, best against targets first
    silent_communes: list[str] = field(default_factory=list)  # no chapter of theirs reported in 7 days

    @property
    def is_today(self) -> bool:
        """Built on its own day (the evening digest), not printed later for a past day."""
        return self.generated_at is None or self.generated_at.astimezone(VN_TZ).date() == self.day


def short_name(name: str) -> str:
    """``Chi hội thôn Nhị Dinh 1`` -> ``Nhị Dinh 1``; ``Chi hội trường Mầm non`` -> ``Mầm non``."""
    for prefix in CHAPTER_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


def _order(codes, extra: list[str]) -> list[str]:
    rank = {c: i for i, c in enumerate((*ORDER, *extra))}
    return sorted(set(codes), key=lambda c: (rank.get(c, len(rank)), c))


def _line(code: str, fig: Figure) -> Line:
    return Line(code, LABELS.get(code, code), SHORT.get(code, code), fig.quantity, fig.value_vnd,
                UNITS.get(code, ""), SHORT_UNITS.get(code, ""))


def _lines(figures: dict[str, Figure], extra: list[str]) -> list[Line]:
    return [_line(c, figures[c]) for c in _order(figures, extra)
            if (figures[c].quantity or 0) or (figures[c].value_vnd or 0)]


def year_percent(day: date) -> int:
    """The share of ``day``'s year gone by the end of that day, in whole percent."""
    return round(100 * year_share(day))


def pace(pct: int, share: int) -> str:
    if pct >= 100:
        return "done"
    if pct >= share:
        return "ok"
    if share - pct > SLOW_MARGIN:
        return "slow"
    return ""


def build_digest(org_info: OrgInfo, day: date, facts: Facts, now: datetime | None = None) -> Digest:
    """The digest of ``day`` for ``org_info`` from ``facts`` (see ``bot.digest.facts``)."""
    extra = list(facts.indicators)
    share = year_percent(day)
    progress = []
    for code in _order(facts.targets, extra):
        target = facts.targets[code]
        if target <= 0:
            continue
        fig = facts.year.get(code, Figure())
        done = (fig.value_vnd if code in MONEY_TARGET else fig.quantity) or 0
        pct = round(100 * done / target)
        progress.append(TargetLine(code, LABELS.get(code, code), done, target,
                                 "đ" if code in MONEY_TARGET else UNITS.get(code, ""), pct,
                                 pace(pct, share)))
    year_other = _lines({c: f for c, f in facts.year.items() if c not in facts.targets}, extra)
    communes = [CommuneLine(commune_name(c.name), c.reported_today, c.chapters_total, c.silent, c.pct)
                for c in facts.communes]
    changes: dict[str, list[int]] = {}
    for ch in facts.changes:
        slot = changes.setdefault(short_name(ch.chapter), [0, 0])
        slot[0 if ch.action == "cancel" else 1] += ch.count
    return Digest(
        org_name=org_info.name,
        sink=org_info.digest_sink,
        day=day,
        reported=facts.reported_today,
        chapters_total=facts.chapters_total,
        today=_lines(facts.today, extra),
        month_number=day.month,
        month=_lines(facts.month, extra),
        year=day.year,
        year_share=share,
        progress=progress,
        year_other=year_other,
        chapters=[] if communes else [ChapterLine(short_name(c.name), _lines(c.figures, extra))
                                      for c in facts.today_by_chapter if _lines(c.figures, extra)],
        silent=[] if communes else [short_name(n) for n in facts.silent],
        changes=[ChangeLine(name, c, k) for name, (c, k) in changes.items()],
        pending=[(short_name(n), k) for n, k in facts.pending],
        unreachable=list(facts.unreachable),
        generated_at=now,
        no_activity=[] if communes else [short_name(n) for n in facts.no_activity],
        communes=communes,
        silent_communes=[c.name for c in communes if c.chapters_total and c.silent == c.chapters_total],
    )


def render_digest(digest: Digest) -> str:
    """The digest's text (may exceed 2,000 characters: the outbox splits it cleanly)."""
    return render("digest", d=digest)
