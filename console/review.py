"""The reports page's changes and history: fix an item, reject what waits, a report's history.

A fix changes the item in place (totals, ``tổng`` and the digest read items of counted reports),
with a history row (``report_changes``, action ``fix``) and an audit entry, in one transaction;
the head who sent the report is told what changed through the outbox, like any chat reply, and a
job on the events queue delivers it (``console.jobs``).
"""

from __future__ import annotations

import io
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from rq import Queue
from sqlalchemy import or_, select

from bot import clock
from bot.outbound import outbox
from bot.people import name_of
from bot.periods import this_month
from bot.render import render
from bot.reporting.stats import item_views
from bot.reporting.xlsx import file_name, write_workbook
from bot.runtime import EVENTS_QUEUE, runtime
from bot.storage import audit
from bot.storage.db import session_scope
from bot.storage.models import AuditEntry, Identity, ReportChange, ReportItem
from bot.storage.reports import log_change, settle, snapshot
from bot.web.downloads import XLSX
from bot.web.queue import EVENT_RETRY
from console import access
from console.views import STATUSES, ActionForm, bp, period_args

FIXABLE = ("active", "pending")


def _settings():
    return current_app.config["SETTINGS"]


def report_subject(report_id: int) -> str:
    """How the audit log names a report (and how its history finds its entries)."""
    return f"báo cáo #{report_id}"


def parse_amount(text: str) -> int | None:
    """``"10.000.000"`` → 10000000; ``""`` → None; anything else raises ValueError."""
    cleaned = "".join(text.split()).replace(".", "").replace(",", "")
    if not cleaned:
        return None
    if not cleaned.isdigit() or len(cleaned) > 15:
        raise ValueError(text)
    return int(cleaned)


def _admin_report(db, org_code: str, report_id: int):
    acc = access.access_or_404(db, current_user.person_id, org_code)
    report = access.report_or_404(db, acc, report_id)
    if not acc.is_admin:
        abort(403)
    return acc, report


def _back(org_code: str, report_id: int):
    return redirect(url_for("console.history", org_code=org_code, report_id=report_id))


def _recipient(db, person_id: int | None) -> Identity | None:
    """Where to tell the head who sent a report: their OA identity first, else any."""
    if person_id is None:
        return None
    found = db.scalars(select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)).all()
    return next((i for i in found if i.channel == "oa"), found[0] if found else None)


def _tell_head(db, report, chapter, before: list[dict], after: list[dict], key: str) -> bool:
    """Record the head's message in the outbox (this transaction); False when nobody can be told."""
    to = _recipient(db, report.person_id)
    if to is None:
        return False
    text = render("console_fixed", chapter=chapter, date=report.report_date, before=before, after=after,
                  who=name_of(db, current_user.person_id))
    outbox.record(db, key=key, channel=to.channel, recipient=to.external_id, kind="reply", text=text,
                  now=clock.now())
    return True


def _deliver_later(key: str) -> None:
    settings, conn = runtime(_settings())
    # retried like an event's job: a send that fails for a while is tried again, each part once
    Queue(EVENTS_QUEUE, connection=conn).enqueue("console.jobs.deliver", key + ":", retry=EVENT_RETRY)


@bp.post("/o/<org_code>/reports/<int:report_id>/items/<int:item_id>/fix")
@login_required
def fix_item(org_code: str, report_id: int, item_id: int):
    with session_scope(_settings().database_url) as db:
        acc, report = _admin_report(db, org_code, report_id)
        item = db.get(ReportItem, item_id)
        if item is None or item.report_id != report.id:
            abort(404)
        if not ActionForm().validate_on_submit():
            abort(400)
        catalog = acc.org.catalog
        indicator = catalog.get(item.indicator)
        try:
            quantity = parse_amount(request.form.get("quantity", ""))
            value = parse_amount(request.form.get("value_vnd", ""))
        except ValueError:
            flash("Số không hợp lệ: chỉ ghi chữ số (ví dụ 20 hoặc 10.000.000).")
            return _back(org_code, report.id)
        if indicator is not None and not indicator.has_quantity:
            quantity = None
        if report.status not in FIXABLE:
            flash(f"Báo cáo #{report.id} đã huỷ hoặc đã được sửa; không sửa được nữa.")
            return _back(org_code, report.id)
        if (quantity is None and value is None) or (quantity, value) == (item.quantity, item.value_vnd):
            flash("Không có gì thay đổi.")
            return _back(org_code, report.id)
        before_views = item_views([item], catalog)
        before = snapshot(report)
        item.quantity, item.value_vnd = quantity, value
        db.flush()
        after_views = item_views([item], catalog)
        log_change(db, report, "fix", before, snapshot(report), person_id=current_user.person_id, at=clock.now())
        entry = audit.record(db, org_id=acc.org.id, person_id=current_user.person_id, at=clock.now(),
                             action="sửa mục", subject=report_subject(report.id),
                             before=render("console_item", item=before_views[0]),
                             after=render("console_item", item=after_views[0]))
        chapter = access.chapter_or_404(db, acc, report.chapter_id)
        key = f"console:fix:{entry.id}"
        told = _tell_head(db, report, chapter, before_views, after_views, key)
    if told:
        _deliver_later(key)
    flash(f"Đã sửa báo cáo #{report_id}" + ("; người gửi đã được báo qua Zalo." if told else "."))
    return _back(org_code, report_id)


@bp.post("/o/<org_code>/reports/<int:report_id>/reject")
@login_required
def reject(org_code: str, report_id: int):
    with session_scope(_settings().database_url) as db:
        acc, report = _admin_report(db, org_code, report_id)
        if not ActionForm().validate_on_submit():
            abort(400)
        if report.status == "pending" and settle(db, report, "cancelled", "reject",
                                                 person_id=current_user.person_id, at=clock.now()):
            audit.record(db, org_id=acc.org.id, person_id=current_user.person_id, at=clock.now(),
                         action="từ chối", subject=report_subject(report.id))
            flash(f"Đã từ chối báo cáo #{report.id}: số liệu không được tính.")
        else:
            flash(f"Báo cáo #{report.id} không còn chờ xác nhận; không có gì thay đổi.")
    return redirect(url_for("console.reports", org_code=org_code, status=request.args.get("status", "")))


ACTIONS = {"cancel": "Huỷ", "correct": "Sửa (qua chat)", "confirm": "Xác nhận", "fix": "Sửa (bảng điều khiển)",
           "reject": "Từ chối"}


def _changes(db, report_id: int, catalog, tz: str) -> list[dict]:
    rows = db.scalars(select(ReportChange).where(or_(ReportChange.report_id == report_id,
                                                     ReportChange.new_report_id == report_id))
                      .order_by(ReportChange.at, ReportChange.id)).all()
    return [{"at": _when(c.at, tz), "action": ACTIONS.get(c.action, c.action), "who": name_of(db, c.person_id),
             "before": item_views(_shot_items(c.before), catalog), "after": item_views(_shot_items(c.after), catalog),
             "status": STATUSES.get((c.after or {}).get("status", ""), ""), "new_id": c.new_report_id}
            for c in rows]


def _shot_items(shot: dict | None) -> list:
    """A history snapshot's items, shaped like the ORM items ``item_views`` reads."""
    return [SimpleNamespace(**i) for i in (shot or {}).get("items", [])]


def _when(at: datetime, tz: str) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%H:%M %d/%m/%Y")


@bp.get("/o/<org_code>/reports/<int:report_id>")
@login_required
def history(org_code: str, report_id: int):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        report = access.report_or_404(db, acc, report_id)
        chapter = access.chapter_or_404(db, acc, report.chapter_id)
        catalog = acc.org.catalog
        entries = db.scalars(select(AuditEntry).where(AuditEntry.org_id == acc.org.id,
                                                      AuditEntry.subject == report_subject(report.id))
                             .order_by(AuditEntry.at, AuditEntry.id)).all()
        audit_rows = [{"at": _when(e.at, acc.org.timezone), "who": name_of(db, e.person_id), "action": e.action, "before": e.before,
                       "after": e.after} for e in entries]
        items = [{"id": i.id, "view": item_views([i], catalog)[0],
                  "money": bool(catalog.get(i.indicator) and not catalog.get(i.indicator).has_quantity)}
                 for i in report.items]
        return render_template("console/report.html", acc=acc, org=acc.org, r=report, chapter=chapter,
                               items=items, status=STATUSES.get(report.status, report.status),
                               changes=_changes(db, report.id, catalog, acc.org.timezone), audit_rows=audit_rows,
                               fixable=acc.is_admin and report.status in FIXABLE, form=ActionForm())


@bp.get("/o/<org_code>/export")
@login_required
def export(org_code: str):
    """The workbook the chat's ``xuất`` links to, for ``from``–``to`` (default: this month); the
    committee's only, as in chat (it covers every chapter)."""
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        if acc.chapter_ids is not None:
            abort(404)
        month = this_month(clock.now().astimezone(ZoneInfo(acc.org.timezone)).date())
        start, end = period_args()
        start, end = start or month.start, end or month.end
        if start > end:
            abort(404)
        buf = io.BytesIO()
        write_workbook(db, acc.org, start, end, buf)
    buf.seek(0)
    return send_file(buf, mimetype=XLSX, as_attachment=True, download_name=file_name(org_code, start, end))
