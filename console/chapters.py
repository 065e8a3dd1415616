"""Chapters and people (admins change, committee members read): the chat's administration actions as
forms. Each runs the chat's own function (``handlers.admin``, ``handlers.invite``) with the
console's context (``committee.console_ctx``), so it is checked, audited and answered as in chat.
Destructive actions (stop, merge, remove a person's roles) take a second POST: the first answers
a confirmation page, the second (``confirm=1``) acts.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from bot.people import name_of
from bot.render import render
from bot.storage.db import session_scope
from bot.storage.models import Chapter, Membership
from console import access
from console.committee import _admin_or_403, _said, console_ctx
from console.views import bp
from handlers import admin
from handlers import invite as invite_handler


def _settings():
    return current_app.config["SETTINGS"]


def _committee_or_404(db, org_code: str) -> access.Access:
    acc = access.access_or_404(db, current_user.person_id, org_code)
    if acc.chapter_ids is not None:
        abort(404)  # a head has no committee pages
    return acc


def _back(org_code: str):
    return redirect(url_for("console.chapters", org_code=org_code))


def _answer(reply) -> None:
    flash(_said(reply) if reply.template == "admin_done" else render(reply.template, **reply.context))


def _people(db, acc: access.Access) -> list[dict]:
    rows = db.execute(select(Membership.person_id, Membership.role, Chapter.name)
                      .outerjoin(Chapter, Chapter.id == Membership.chapter_id)
                      .where(Membership.org_id == acc.org.id).order_by(Membership.person_id, Membership.id)).all()
    people: dict[int, dict] = {}
    for person_id, role, chapter_name in rows:
        entry = people.setdefault(person_id, {"id": person_id, "name": name_of(db, person_id), "roles": []})
        entry["roles"].append(admin.ROLE_VI.get(role, role) + (f" {chapter_name}" if chapter_name else ""))
    return sorted(people.values(), key=lambda p: p["name"])


@bp.get("/o/<org_code>/chapters")
@login_required
def chapters(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = _committee_or_404(db, org_code)
        rows = access.visible_chapters(db, acc)
        heads = {}
        for m in db.scalars(select(Membership).where(Membership.org_id == acc.org.id, Membership.role == "head")):
            heads.setdefault(m.chapter_id, []).append(name_of(db, m.person_id))
        return render_template("console/chapters.html", acc=acc, org=acc.org, chapters=rows, heads=heads,
                               active=[c for c in rows if c.active], people=_people(db, acc))


@bp.post("/o/<org_code>/chapters/add")
@login_required
def add_chapter(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = _committee_or_404(db, org_code)
        _admin_or_403(acc)
        name, code = " ".join(request.form.get("name", "").split()), request.form.get("code", "").strip()
        if not name:
            flash("Ghi tên chi hội.")
            return _back(org_code)
        # the chat's ``thêm chi hội <tên> [mã <MÃ>]`` (its handler reads no more of the message than its words)
        _answer(admin.add_chapter(None, console_ctx(db, acc), f"{name} mã {code}" if code else name))
    return _back(org_code)


def _chapter(db, acc: access.Access, chapter_id: int) -> Chapter:
    chapter = access.chapter_or_404(db, acc, chapter_id)
    if not chapter.active:
        abort(404)
    return chapter


@bp.post("/o/<org_code>/chapters/<int:chapter_id>/rename")
@login_required
def rename_chapter(org_code: str, chapter_id: int):
    with session_scope(_settings().database_url) as db:
        acc = _committee_or_404(db, org_code)
        chapter = _chapter(db, acc, chapter_id)
        _admin_or_403(acc)
        new = " ".join(request.form.get("name", "").split())
        if not new:
            flash("Ghi tên mới.")
            return _back(org_code)
        _answer(admin.rename_chapter(None, console_ctx(db, acc), f"{chapter.code} thành {new}"))
    return _back(org_code)


def _confirm_page(acc, question: str, action: str, fields: dict):
    return render_template("console/confirm.html", acc=acc, org=acc.org, question=question, action=action,
                           fields=fields)


@bp.post("/o/<org_code>/chapters/<int:chapter_id>/stop")
@login_required
def stop_chapter(org_code: str, chapter_id: int):
    with session_scope(_settings().database_url) as db:
        acc = _committee_or_404(db, org_code)
        chapter = _chapter(db, acc, chapter_id)
        _admin_or_403(acc)
        if request.form.get("confirm") != "1":
            return _confirm_page(acc, f"Ngừng {chapter.name}? Số liệu cũ vẫn được giữ; chi hội không báo cáo được nữa.",
                                 url_for("console.stop_chapter", org_code=org_code, chapter_id=chapter.id), {})
        _answer(admin.do_stop(console_ctx(db, acc), acc.org, {"chapter_id": chapter.id}))
    return _back(org_code)


@bp.post("/o/<org_code>/chapters/<int:chapter_id>/merge")
@login_required
def merge_chapter(org_code: str, chapter_id: int):
    with session_scope(_settings().database_url) as db:
        acc = _committee_or_404(db, org_code)
        source = _chapter(db, acc, chapter_id)
        into_arg = request.form.get("into", "")
        if not into_arg.isdigit():
            abort(404)
        target = _chapter(db, acc, int(into_arg))
        _admin_or_403(acc)
        if target.id == source.id:
            flash(f"Không thể gộp {source.name} vào chính nó.")
            return _back(org_code)
        if request.form.get("confirm") != "1":
            return _confirm_page(acc, f"Gộp {source.name} vào {target.name}? Báo cáo, chỉ tiêu và chi hội trưởng "
                                      f"của {source.name} chuyển sang {target.name}.",
                                 url_for("console.merge_chapter", org_code=org_code, chapter_id=source.id),
                                 {"into": target.id})
        _answer(admin.do_merge(console_ctx(db, acc), acc.org, {"chapter_id": source.id, "into_id": target.id}))
    return _back(org_code)


@bp.post("/o/<org_code>/people/<int:person_id>/remove")
@login_required
def remove_person(org_code: str, person_id: int):
    with session_scope(_settings().database_url) as db:
        acc = _committee_or_404(db, org_code)
        roles = set(db.scalars(select(Membership.role).where(Membership.org_id == acc.org.id,
                                                             Membership.person_id == person_id)))
        if not roles:
            abort(404)
        _admin_or_403(acc)
        ctx, who = console_ctx(db, acc), name_of(db, person_id)
        admins = set(db.scalars(select(Membership.person_id).where(Membership.org_id == acc.org.id,
                                                                   Membership.role == "admin")))
        if admins == {person_id}:
            flash(render("admin_refused", reason="last_admin", person=who))
            return _back(org_code)
        if request.form.get("confirm") != "1":
            return _confirm_page(acc, f"Bỏ mọi vai trò của {who} ({admin._roles_text(ctx, acc.org, person_id)})?",
                                 url_for("console.remove_person", org_code=org_code, person_id=person_id), {})
        _answer(admin.do_remove(ctx, acc.org, {"person_id": person_id}))
    return _back(org_code)


@bp.post("/o/<org_code>/invites")
@login_required
def make_invite(org_code: str):
    with session_scope(_settings().database_url) as db:
        acc = _committee_or_404(db, org_code)
        role = request.form.get("role", "")
        chapter = None
        if role == "head":
            chapter_arg = request.form.get("chapter", "")
            if not chapter_arg.isdigit():
                abort(404)
            chapter = _chapter(db, acc, int(chapter_arg))
        elif role not in ("member", "admin"):
            abort(404)
        _admin_or_403(acc)
        ctx = console_ctx(db, acc)
        if chapter is not None:  # the chat's ``mời <mã chi hội>``, ``mời btv``, ``mời admin``
            reply = invite_handler.invite(None, ctx, chapter.code)
        else:
            reply = (admin.invite_admin if role == "admin" else admin.invite_member)(None, ctx, "")
        _answer(reply)
    return _back(org_code)
