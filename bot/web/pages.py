"""The demo chat page (/demo): act as any person of an imported organization and chat with the bot.

Only on when `make run` started the local Zalo simulator (DEMO_CHAT=1). Messages go the real way:
the simulator signs and posts them to our webhook, and the page reads what the bot sent back from
the simulator's inspection API.
"""

from __future__ import annotations

import requests
from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlalchemy import select

from bot.storage.db import session_scope
from bot.storage.models import Chapter, Identity, Membership, Organization, Person

bp = Blueprint("pages", __name__)


def _demo_settings():
    settings = current_app.config["SETTINGS"]
    if not settings.demo_chat:
        abort(404)
    return settings


@bp.get("/")
def index():
    settings = current_app.config["SETTINGS"]
    if settings.demo_chat:
        return demo()
    return jsonify({"service": "chi-hoi-bot", "webhook": "/webhook/zalo", "health": "/healthz"})


@bp.get("/demo")
def demo():
    settings = _demo_settings()
    people = []
    with session_scope(settings.database_url) as session:
        rows = session.execute(
            select(Identity.external_id, Person.name, Membership.role, Chapter.name, Organization.name)
            .join(Person, Person.id == Identity.person_id)
            .join(Membership, Membership.person_id == Person.id)
            .join(Organization, Organization.id == Membership.org_id)
            .outerjoin(Chapter, Chapter.id == Membership.chapter_id)
            .where(Identity.channel == "oa")
            .order_by(Organization.id, Membership.role, Chapter.id)
        ).all()
        for uid, name, role, chapter, org in rows:
            role_vi = {"head": f"Trưởng {chapter}", "admin": "Ban Thường vụ (quản trị)", "member": "Ban Thường vụ"}[role]
            label = f"{name} – {role_vi}" if name else role_vi
            people.append({"user_id": uid, "label": f"{label} ({org})"})
    people.append({"user_id": "7999000000000000001", "label": "Người lạ (chưa đăng ký)"})
    return render_template("pages/demo.html", people=people)


def _sim_url(settings) -> str:
    return settings.zalo_openapi_url


@bp.post("/demo/api/send")
def demo_send():
    settings = _demo_settings()
    data = request.get_json(silent=True) or {}
    user_id, text = str(data.get("user_id", "")), str(data.get("text", ""))
    if not user_id.isdigit() or not text.strip() or len(text) > 2000:
        return jsonify({"ok": False, "error": "Tin nhắn trống hoặc quá dài."}), 400
    resp = requests.post(f"{_sim_url(settings)}/__fake/deliver", json={"user_id": user_id, "text": text}, timeout=10)
    return jsonify({"ok": resp.ok, **resp.json()}), (200 if resp.ok else 502)


@bp.get("/demo/api/messages")
def demo_messages():
    settings = _demo_settings()
    user_id = request.args.get("user_id", "")
    since = request.args.get("since", "0")
    resp = requests.get(f"{_sim_url(settings)}/__fake/sent", params={"user_id": user_id, "since": since}, timeout=10)
    return jsonify(resp.json()), resp.status_code
