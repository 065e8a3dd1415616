"""The period's report as an .xlsx, shaped like a committee's periodic report, and its signed link.

Sheet "Tổng hợp": how many chapters reported (a nil report counts), chapters as rows, indicators as columns (quantity and value where the indicator
has them), a totals row, the year-to-date, the year's targets and % achieved. Sheet "Báo cáo":
every report dated in the period, whatever its status, with its corrections (a nil report, which
counts its chapter as reported, reads "Không có hoạt động").

OA file messages take only PDF/DOC/DOCX/CSV, so chat gets a link: ``GET /exports/<token>``
(bot.web.downloads), signed here with the app's secret, valid 24 hours; the file is regenerated
on the fly from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from itsdangerous import URLSafeTimedSerializer
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.render import number, vnd
from bot.reporting import stats
from bot.storage.models import Chapter, Identity, Organization, Person, Report, ReportChange

LINK_MAX_AGE = 24 * 3600
SALT = "chb-export"
SUMMARY, REPORTS = "Tổng hợp", "Báo cáo"
STATUS_VI = {"active": "Đang tính", "cancelled": "Đã huỷ", "replaced": "Đã được sửa", "pending": "Chờ xác nhận"}
NIL_TEXT = "Không có hoạt động"
ACTION_VI = {"cancel": "huỷ", "correct": "sửa", "confirm": "xác nhận", "fix": "Ban Thường vụ sửa", "reject": "Ban Thường vụ từ chối"}


@dataclass(frozen=True)
class Column:
    indicator: str
    kind: str  # "quantity" | "value_vnd"
    header: str


def columns(catalog) -> list[Column]:
    """One column per figure an indicator can carry, in catalog order."""
    cols = []
    for ind in catalog:
        if ind.has_quantity:
            cols.append(Column(ind.code, "quantity", f"{ind.name} ({ind.unit})" if ind.unit else ind.name))
        if ind.has_value:
            label = f"{ind.name} - trị giá (đ)" if ind.has_quantity else f"{ind.name} (đ)"
            cols.append(Column(ind.code, "value_vnd", label))
    return cols


def _figure(found: dict, col: Column) -> int:
    total = found.get(col.indicator)
    return int(getattr(total, col.kind) or 0) if total else 0


def _day(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _items_text(report: Report, catalog) -> str:
    if not report.items:
        return NIL_TEXT  # a nil report: the chapter reported, with no activity
    parts = []
    for item in report.items:
        ind = catalog.get(item.indicator)
        name = ind.name if ind else item.indicator
        bits = []
        if item.quantity is not None:
            bits.append(f"{number(item.quantity)} {ind.unit if ind else ''}".strip())
        if item.value_vnd is not None:
            bits.append(vnd(item.value_vnd))
        parts.append(f"{name}: {', '.join(bits)}")
    return "; ".join(parts)


def _reporter(session: Session, person_id: int | None) -> str:
    if person_id is None:
        return ""
    person = session.get(Person, person_id)
    if person and person.name:
        return person.name
    identity = session.scalar(select(Identity).where(Identity.person_id == person_id).order_by(Identity.id))
    if identity is None:
        return ""
    return identity.display_name or identity.external_id


def build_workbook(session: Session, org: Organization, start: date, end: date) -> Workbook:
    """The workbook for ``org`` over ``start``..``end`` (both included); for a province association,
    a summary sheet with its communes as rows, then each commune's summary sheet."""
    communes = stats.child_orgs(session, org.id)
    wb = Workbook()
    if communes:
        _province_sheet(wb.active, session, org, communes, start, end)
        for commune in communes:
            _summary_sheet(wb.create_sheet(_sheet_title(commune, wb.sheetnames)), session, commune, start, end)
        return wb
    _summary_sheet(wb.active, session, org, start, end)
    wb.active.title = SUMMARY
    _reports_sheet(wb.create_sheet(REPORTS), session, org, start, end, org.catalog)
    return wb


def _sheet_title(org: Organization, taken: list[str]) -> str:
    """A commune's sheet name: its short name (Excel: at most 31 characters, none of []:*?/\\),
    else its code."""
    title = "".join(ch for ch in stats.commune_name(org.name) if ch not in "[]:*?/\\")[:31]
    return title if title and title not in taken else org.code[:31]


def _province_sheet(ws, session: Session, org: Organization, communes: list[Organization], start: date,
                    end: date) -> None:
    """The province's summary: one row per commune (its chapters reported, its sums), the total,
    the year to date against the province's targets (``stats.tree_targets``)."""
    ws.title = SUMMARY
    rows, reported, total = [], 0, 0
    for commune in communes:
        scope = stats.subtree_ids(session, commune.id)
        chapters = {c.id for c in stats.chapters(session, scope)}
        done = len(stats.reporting_chapter_ids(session, scope, start, end) & chapters)
        reported, total = reported + done, total + len(chapters)
        rows.append([commune.code, commune.name, f"{done}/{len(chapters)}",
                     stats.totals(session, scope, start, end, catalog=org.catalog)])
    scope = stats.subtree_ids(session, org.id)
    _figures_table(ws, session, org, start, end, scope, stats.tree_targets(session, org.id, end.year),
                   heading=f"{reported}/{total} chi hội của {len(communes)} xã đã báo cáo trong kỳ",
                   names=("Mã", "Xã", "Chi hội đã báo cáo"), rows=rows)


def _summary_sheet(ws, session: Session, org: Organization, start: date, end: date) -> None:
    """One organization's summary: its chapters as rows, the total, the year against its targets."""
    chapters = stats.chapters(session, org.id)
    by_chapter = stats.totals_by_chapter(session, org.id, start, end)
    reported = stats.reporting_chapter_ids(session, org.id, start, end) & {c.id for c in chapters}
    rows = [[c.code, c.name, by_chapter.get(c.id, {})] for c in chapters]
    _figures_table(ws, session, org, start, end, org.id, stats.targets(session, org.id, end.year),
                   heading=f"{len(reported)}/{len(chapters)} chi hội đã báo cáo trong kỳ (kể cả báo cáo không có hoạt động)",
                   names=("Mã", "Chi hội"), rows=rows)


def _figures_table(ws, session: Session, org: Organization, start: date, end: date, scope, wanted: dict[str, int],
                   *, heading: str, names: tuple[str, ...], rows: list[list]) -> None:
    """Title, ``heading``, a header of ``names`` and the indicators, ``rows`` (their last cell: the
    totals found), the total over ``scope``, then the year to date against ``wanted``."""
    catalog = org.catalog
    cols = columns(catalog)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append([f"{org.name}: báo cáo hoạt động từ {_day(start)} đến {_day(end)}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([heading])
    ws.append([*names, *[c.header for c in cols]])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font, cell.fill = bold, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for *first, found in rows:
        ws.append([*first, *[_figure(found, c) for c in cols]])
    pad = [""] * (len(names) - 1)
    grand = stats.totals(session, scope, start, end, catalog=catalog)
    ws.append([*pad, "Tổng cộng", *[_figure(grand, c) for c in cols]])
    for cell in ws[ws.max_row]:
        cell.font = bold

    # Year to date against the year's targets (the year the period ends in).
    year = end.year
    ytd = stats.totals(session, scope, date(year, 1, 1), end, catalog=catalog)
    target_cols = {}
    for c in cols:
        ind = catalog.get(c.indicator)
        measured_in = "quantity" if ind.has_quantity else "value_vnd"
        if c.kind == measured_in and c.indicator in wanted:
            target_cols[c] = wanted[c.indicator]
    ws.append([*pad, f"Luỹ kế năm {year} (đến {_day(end)})", *[_figure(ytd, c) for c in cols]])
    ws.append([*pad, f"Chỉ tiêu năm {year}", *[target_cols.get(c) for c in cols]])
    ws.append(
        [*pad, "% đạt chỉ tiêu", *[(_figure(ytd, c) / target_cols[c]) if target_cols.get(c) else None for c in cols]]
    )
    first = len(names) + 1
    for cell in ws[ws.max_row][first - 1:]:
        cell.number_format = "0%"
    for row in ws.iter_rows(min_row=header_row + 1, min_col=first):
        for cell in row:
            if cell.number_format == "General":
                cell.number_format = "#,##0"
    ws.column_dimensions["A"].width = 13
    ws.column_dimensions["B"].width = 34
    for i in range(len(cols)):
        ws.column_dimensions[get_column_letter(first + i)].width = 16
    ws.freeze_panes = ws.cell(row=header_row + 1, column=first)


def _reports_sheet(ws, session: Session, org: Organization, start: date, end: date, catalog) -> None:
    tz = ZoneInfo(org.timezone)
    ws.append(["Mã BC", "Ngày", "Chi hội", "Người báo cáo", "Nội dung tin nhắn", "Số liệu", "Trạng thái",
               "Thay cho BC", "Gửi lúc", "Lịch sử sửa/huỷ"])  # fmt: skip
    for cell in ws[1]:
        cell.font = Font(bold=True)
    names = {c.id: c.name for c in session.scalars(select(Chapter).where(Chapter.org_id == org.id))}
    reports = session.scalars(
        select(Report)
        .where(Report.org_id == org.id, Report.report_date.between(start, end))
        .order_by(Report.report_date, Report.created_at, Report.id)
    ).all()
    ids = [r.id for r in reports]
    changes: dict[int, list[str]] = {}
    if ids:
        for ch in session.scalars(select(ReportChange).where(ReportChange.report_id.in_(ids)).order_by(ReportChange.at, ReportChange.id)):
            note = f"{ACTION_VI.get(ch.action, ch.action)} lúc {ch.at.astimezone(tz).strftime('%H:%M %d/%m/%Y')}"
            if ch.person_id:
                note += f" bởi {_reporter(session, ch.person_id)}"
            if ch.new_report_id:
                note += f", thay bằng BC {ch.new_report_id}"
            changes.setdefault(ch.report_id, []).append(note)
    for r in reports:
        ws.append(
            [
                r.id,
                _day(r.report_date),
                names.get(r.chapter_id, ""),
                _reporter(session, r.person_id),
                r.raw_text,
                _items_text(r, catalog),
                STATUS_VI.get(r.status, r.status),
                r.replaces_id,
                r.created_at.astimezone(tz).strftime("%H:%M %d/%m/%Y"),
                "; ".join(changes.get(r.id, [])),
            ]
        )
    for letter, width in zip("ABCDEFGHIJ", (8, 12, 30, 22, 45, 45, 14, 11, 17, 45), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.data_type == "f":  # a message such as "=HYPERLINK(…)" is text, never a formula
                cell.data_type = "s"


def write_workbook(session: Session, org: Organization, start: date, end: date, out) -> None:
    """Write the workbook to a path or a binary file object."""
    build_workbook(session, org, start, end).save(out)


# --------------------------------------------------------------------------- signed links
def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, org_code: str, start: date, end: date) -> str:
    return _serializer(secret_key).dumps({"org": org_code, "from": start.isoformat(), "to": end.isoformat()})


def read_token(secret_key: str, token: str, max_age: int = LINK_MAX_AGE) -> tuple[str, date, date]:
    """(org code, start, end); raises SignatureExpired or BadSignature."""
    data = _serializer(secret_key).loads(token, max_age=max_age)
    return data["org"], date.fromisoformat(data["from"]), date.fromisoformat(data["to"])


def export_link(settings, org_code: str, start: date, end: date) -> str:
    return f"{settings.public_url}/exports/{make_token(settings.secret_key, org_code, start, end)}"


def file_name(org_code: str, start: date, end: date) -> str:
    return f"bao-cao_{org_code}_{start.isoformat()}_{end.isoformat()}.xlsx"
