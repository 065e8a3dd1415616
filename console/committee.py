"""The console's administration pages: the year's targets as a grid, the digest hour and a preview
of tonight's digest. Each change runs the chat's own action (``handlers.target_set.do_target``,
``handlers.admin.digest_hour``) with a context for the person logged in, so it is checked, audited
and worded exactly as in chat; the flash shows the chat's answer.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from bot import clock
from bot.conversation.context import Ctx
from bot.conversation.router import Reply
from bot.digest import jobs as digest_jobs
from bot.digest.sinks import SINKS
from bot.render import number, render
from bot.runtime import runtime
from bot.storage.db import session_scope
from bot.storage.models import Chapter, Membership, Person, Target
from console import access
from console.views import ActionForm, bp
from handlers import admin, target_set


def _settings():
    return current_app.config["SETTINGS"]


def console_ctx(db, acc: access.Access) -> Ctx:
    """The chat's handler context for the person logged in, their roles in this organization only
    (so ``admin.org_of`` is this organization)."""
    settings, conn = runtime(_settings())
    roles = list(db.scalars(select(Membership).where(Membership.person_id == current_user.person_id,
                                                     Membership.org_id == acc.org.id).order_by(Membership.id)))
    return Ctx(session=db, settings=settings, redis=conn, now=clock.now(), person=db.get(Person, current_user.person_id),
               memberships=roles)


def _admin_or_403(acc: access.Access) -> None:
    if not acc.is_admin:
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)


def _year(acc: access.Access) -> int:
    return clock.now().astimezone(ZoneInfo(acc.org.timezone)).year


def _grid(db, acc: access.Access, year: int) -> dict:
    rows = db.scalars(select(Target).where(Target.org_id == acc.org.id, Target.year == year)).all()
    found = {(t.chapter_id, t.indicator): t.target for t in rows}
    chapters = [c for c in access.visible_chapters(db, acc) if c.active]
    scopes = ([(None, acc.org.name)] if acc.chapter_ids is None else []) + [(c.id, c.name) for c in chapters]
    return {"indicators": list(acc.org.catalog), "scopes": scopes, "found": found}


def _said(reply) -> str:
    """The chat's answer to an admin action, on one line (its "nhật ký" hint left out)."""
    lines = render(reply.template, **reply.context).splitlines()
    return ": ".join(line for line in lines if line and "nhật ký" not in line)


def cell_name(chapter_id: int | None, code: str) -> str:
    return f"t-{chapter_id or 'org'}-{code}"


@bp.get("/o/<org_code>/targets")
@login_required
def targets(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        year = _year(acc)
        return render_template("console/targets.html", acc=acc, org=acc.org, year=year, cell_name=cell_name,
                               **_grid(db, acc, year))


@bp.post("/o/<org_code>/targets")
@login_required
def set_targets(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        _admin_or_403(acc)
        year, ctx = _year(acc), console_ctx(db, acc)
        grid = _grid(db, acc, year)
        sure = request.form.get("sure") == "1"
        said, refused = [], []
        for chapter_id, scope_name in grid["scopes"]:
            for ind in grid["indicators"]:
                raw = request.form.get(cell_name(chapter_id, ind.code), "").strip()
                if not raw:
                    continue  # an empty cell changes nothing (a target is not removed here)
                value = target_set.amount(raw)
                if value is None or value < 0:
                    refused.append(f"{ind.name}, {scope_name}: “{raw}” không phải số hợp lệ")
                    continue
                if value == grid["found"].get((chapter_id, ind.code)):
                    continue
                chapter = db.get(Chapter, chapter_id) if chapter_id else None
                last = target_set._last_year(ctx, acc.org, ind.code, chapter, year)
                if last and value > target_set.ABSURD * last and not sure:
                    refused.append(f"{ind.name}, {scope_name}: {number(value)} lớn hơn {target_set.ABSURD} lần "
                                   f"năm trước ({number(last)}); đánh dấu “Tôi chắc chắn” rồi lưu lại")
                    continue
                reply = target_set.do_target(ctx, acc.org, {"indicator": ind.code, "value": value,
                                                            "chapter_id": chapter_id, "year": year})
                said.append(_said(reply))
    for line in said + refused:
        flash(line)
    if not said and not refused:
        flash("Không có gì thay đổi.")
    return redirect(url_for("console.targets", org_code=org_code))


@bp.get("/o/<org_code>/settings")
@login_required
def settings_page(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        if acc.chapter_ids is not None:
            abort(404)  # a head has no committee settings to see
        today = clock.now().astimezone(ZoneInfo(acc.org.timezone)).date()
        preview, _facts = digest_jobs.compose(db, acc.org, today, clock.now())
        return render_template("console/settings.html", acc=acc, org=acc.org, today=today, preview=preview,
                               sink_names=SINK_NAMES, sink_said=sink_said(acc.org.digest_sink, acc.org.group_id))


@bp.post("/o/<org_code>/settings/digest-hour")
@login_required
def set_digest_hour(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        _admin_or_403(acc)
        # the chat's ``giờ tổng hợp HH:MM`` (its handler reads no more of the message than its words)
        reply = admin.digest_hour(None, console_ctx(db, acc), request.form.get("digest_time", ""))
    flash(_said(reply) if reply.template == "admin_done" else "Giờ không hợp lệ: ghi theo dạng HH:MM, ví dụ 19:30.")
    return redirect(url_for("console.settings_page", org_code=org_code))


# Where the evening digest goes: the kinds ``bot.digest.sinks`` implements, in the console's words.
SINK_NAMES = {"fanout": "Gửi riêng từng thành viên Ban Thường vụ", "gmf_group": "Nhóm GMF của OA",
              "bot_group": "Nhóm Zalo có Bot"}
GROUP_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def sink_said(kind: str, group_id: str | None) -> str:
    """A sink as the audit log and the page show it: its name, and a group sink's group id."""
    name = SINK_NAMES.get(kind, kind)
    return f"{name} (mã nhóm {group_id or 'chưa có'})" if kind != "fanout" else name


@bp.post("/o/<org_code>/settings/digest-sink")
@login_required
def set_digest_sink(org_code: str):
    kind, group_id = request.form.get("sink", ""), request.form.get("group_id", "").strip()
    with session_scope(_settings().database_url) as db:
        acc = access.access_or_404(db, current_user.person_id, org_code)
        _admin_or_403(acc)
        if kind not in SINKS or kind not in SINK_NAMES:
            said = "Nơi nhận không hợp lệ."
        elif kind != "fanout" and not GROUP_ID.match(group_id):
            said = "Gửi vào nhóm cần mã nhóm (chữ, số, dấu chấm, gạch; tối đa 64 ký tự)."
        else:
            ctx = console_ctx(db, acc)
            org = admin.locked(ctx, acc.org)
            before = sink_said(org.digest_sink, org.group_id)
            org.digest_sink = kind
            if kind != "fanout":
                org.group_id = group_id  # fanout leaves the group id as it was
            after = sink_said(org.digest_sink, org.group_id)
            if before == after:
                said = "Không có gì thay đổi."
            else:
                said = _said(Reply("admin_done", admin.log(ctx, org, "đổi nơi nhận tổng hợp", org.name, before, after)))
    flash(said)
    return redirect(url_for("console.settings_page", org_code=org_code))
