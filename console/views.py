"""The console's routes: login by link, logout, the dashboard and the reports page.

URLs carry the organization's code (``/console/o/<org>/…``); an organization, chapter or report
the person's roles do not cover answers 404 (``access.py``). Forms POST, redirect and GET.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import clock
from bot.digest.chart import can_draw, chart_png, chart_title
from bot.digest.facts import gather_facts
from bot.reporting.stats import item_views
from bot.runtime import runtime
from bot.storage.db import session_scope
from bot.storage.models import Report
from bot.storage.reports import settle
from bot.web import login_links as tokens
from console import LOGIN_LIMIT, access, csrf, limiter, login_manager
from console.dashboard import dashboard_view

bp = Blueprint("console", __name__, url_prefix="/console", static_folder="static",
               static_url_path="/static")  # fmt: skip

STATUSES = {"pending": "Chờ xác nhận", "active": "Đã tính", "cancelled": "Đã huỷ", "replaced": "Đã sửa"}
PAGE_SIZE = 100


class ConsoleUser(UserMixin):
    def __init__(self, person_id: int, name: str | None):
        self.id = str(person_id)
        self.person_id = person_id
        self.name = name or ""


class ActionForm(FlaskForm):
    """A form with nothing but its anti-forgery token (approve, log out)."""


@login_manager.user_loader
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    with session_scope(_settings().database_url) as db:
        found = access.person(db, int(user_id))
        return None if found is None else ConsoleUser(found.id, found.name)


def _settings():
    return current_app.config["SETTINGS"]


@bp.before_request
def check_csrf():
    if request.method == "POST":
        csrf.protect()  # 400 without a valid token


@bp.after_request
def no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # the login token never leaks on
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'")
    return response


@bp.get("/login/<token>")
@limiter.limit(LOGIN_LIMIT)
def login(token: str):
    settings, conn = runtime(_settings())
    try:
        person_id = tokens.redeem(settings.secret_key, conn, token)
    except tokens.LinkRefused as refused:
        return render_template("console/login_refused.html", reason=refused.reason), 410
    with session_scope(settings.database_url) as db:
        found = access.person(db, person_id)
        if found is None:
            return render_template("console/login_refused.html", reason="forged"), 410
        user = ConsoleUser(found.id, found.name)
    session.clear()  # nothing of an earlier session survives into this person's
    session.permanent = True
    login_user(user)
    return redirect(url_for("console.home"))


@bp.get("/login")
def login_needed():
    return render_template("console/login_needed.html")


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("console.login_needed"))


@bp.get("/")
@login_required
def home():
    with session_scope(_settings().database_url) as db:
        orgs = access.organizations(db, current_user.person_id)
        if len(orgs) == 1:
            return redirect(url_for("console.dashboard", org_code=orgs[0].code))
        return render_template("console/home.html", orgs=orgs)


@bp.get("/o/<org_code>/")
@login_required
def dashboard(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        view = dashboard_view(db, acc, clock.now())
        # the digest's chart covers every chapter, so a head (own chapters only) is not shown it
        drawable = acc.chapter_ids is None and can_draw(gather_facts(db, acc.org, view["today"], clock.now()))
        return render_template("console/dashboard.html", acc=acc, org=acc.org, drawable=drawable, **view)


@bp.get("/o/<org_code>/chart.png")
@login_required
def chart(org_code: str):
    """The month's chart, the PNG the evening digest sends (``bot.digest.chart``); committee only."""
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        if acc.chapter_ids is not None:
            abort(404)
        now = clock.now()
        today = now.astimezone(ZoneInfo(acc.org.timezone)).date()
        png = chart_png(gather_facts(db, acc.org, today, now), chart_title(acc.org.name, today))
    if png is None:
        abort(404)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


def period_args() -> tuple[date | None, date | None]:
    """The reports page's ``from`` and ``to`` (ISO dates, as ``<input type=date>`` sends); 404 if malformed."""
    found = []
    for name in ("from", "to"):
        raw = request.args.get(name, "")
        try:
            found.append(date.fromisoformat(raw) if raw else None)
        except ValueError:
            abort(404)
    return found[0], found[1]


def _filters(db, acc):
    chapter_arg = request.args.get("chapter", "")
    status = request.args.get("status", "")
    if status and status not in STATUSES:
        abort(404)
    chapter = None
    if chapter_arg:
        if not chapter_arg.isdigit():
            abort(404)
        chapter = access.chapter_or_404(db, acc, int(chapter_arg))
    return chapter, status


@bp.get("/o/<org_code>/reports")
@login_required
def reports(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        chapter, status = _filters(db, acc)
        start, end = period_args()
        stmt = (select(Report).where(Report.org_id == acc.org.id).options(selectinload(Report.items))
                .order_by(Report.report_date.desc(), Report.id.desc()).limit(PAGE_SIZE))
        if acc.chapter_ids is not None:
            stmt = stmt.where(Report.chapter_id.in_(acc.chapter_ids))
        if chapter is not None:
            stmt = stmt.where(Report.chapter_id == chapter.id)
        if status:
            stmt = stmt.where(Report.status == status)
        if start is not None:
            stmt = stmt.where(Report.report_date >= start)
        if end is not None:
            stmt = stmt.where(Report.report_date <= end)
        chapters = access.visible_chapters(db, acc)
        names = {c.id: c.name for c in chapters}
        catalog = acc.org.catalog
        rows = [{"report": r, "chapter": names.get(r.chapter_id, ""), "lines": item_views(r.items, catalog),
                 "status": STATUSES.get(r.status, r.status)} for r in db.scalars(stmt)]
        return render_template("console/reports.html", acc=acc, org=acc.org, rows=rows, chapters=chapters,
                               chapter=chapter, status=status, statuses=STATUSES, form=ActionForm(),
                               start=start, end=end)


@bp.post("/o/<org_code>/reports/<int:report_id>/approve")
@login_required
def approve(org_code: str, report_id: int):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        report = access.report_or_404(db, acc, report_id)
        if not acc.is_admin:
            abort(403)
        if not ActionForm().validate_on_submit():
            abort(400)
        if report.status == "pending" and settle(db, report, "active", "confirm",
                                                 person_id=current_user.person_id, at=clock.now()):
            flash(f"Đã duyệt báo cáo #{report.id}: số liệu đã được tính.")
        else:
            flash(f"Báo cáo #{report.id} không còn chờ xác nhận; không có gì thay đổi.")
    return redirect(url_for("console.reports", org_code=org_code, status=request.args.get("status", "")))
