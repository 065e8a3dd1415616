"""Chapters and people in the console: the chat's administration actions as forms, audited;
destructive ones only after a confirmation page's second POST."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.storage.db import session_scope
from bot.storage.models import AuditEntry, Chapter, Invite, Membership, Report
from tests.console.helpers import (
    ADMIN,
    HEAD1,
    MEMBER,
    ORG,
    add,
    chapter_id,
    csrf_token,
    log_in,
    other_org,
    person_id,
)

CHAPTERS = f"/console/o/{ORG}/chapters"


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, CHAPTERS), **data})


def audit_rows(settings) -> list[tuple]:
    with session_scope(settings.database_url) as s:
        return [(e.action, e.subject, e.before, e.after) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def notice(client) -> str:
    return " ".join(re.findall(r'<p class="notice">(.*?)</p>', client.get(CHAPTERS).get_data(as_text=True), re.S))


def test_add_and_rename_a_chapter(chat, org, client, settings, example_day):
    log_in(client, chat, ADMIN)
    assert post(client, f"{CHAPTERS}/add", name="thôn Gò Nổi", code="GONOI").status_code == 302
    assert "✅ Đã thêm chi hội: Chi hội thôn Gò Nổi: mã GONOI" in notice(client)
    nd1 = chapter_id(settings, "NHIDINH1")
    assert post(client, f"{CHAPTERS}/{nd1}/rename", name="Chi hội thôn Nhị Dinh Một").status_code == 302
    assert "✅ Đã đổi tên chi hội: NHIDINH1: Chi hội thôn Nhị Dinh 1 → Chi hội thôn Nhị Dinh Một" in notice(client)
    assert audit_rows(settings) == [
        ("thêm chi hội", "Chi hội thôn Gò Nổi", None, "mã GONOI"),
        ("đổi tên chi hội", "NHIDINH1", "Chi hội thôn Nhị Dinh 1", "Chi hội thôn Nhị Dinh Một"),
    ]
    post(client, f"{CHAPTERS}/add", name="thôn Gò Nổi")
    assert "Đã có Chi hội thôn Gò Nổi (mã GONOI)" in notice(client)
    assert "Chi hội thôn Gò Nổi" in chat.ask(ADMIN, "mời GONOI")


def test_stopping_and_merging_ask_first(chat, org, client, settings, example_day):
    log_in(client, chat, ADMIN)
    nd2, nd3 = chapter_id(settings, "NHIDINH2"), chapter_id(settings, "NHIDINH3")
    report = add(settings, "NHIDINH3", "mau 2", [("blood_units", 2, None)], status="active")
    first = post(client, f"{CHAPTERS}/{nd3}/merge", into=str(nd2))
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "Gộp Chi hội thôn Nhị Dinh 3 vào Chi hội thôn Nhị Dinh 2?" in page
    assert 'name="confirm" value="1"' in page and f'name="into" value="{nd2}"' in page
    assert audit_rows(settings) == []
    assert post(client, f"{CHAPTERS}/{nd3}/merge", into=str(nd2), confirm="1").status_code == 302
    with session_scope(settings.database_url) as s:
        assert s.get(Report, report).chapter_id == nd2 and not s.get(Chapter, nd3).active
    assert audit_rows(settings) == [("gộp chi hội", "Chi hội thôn Nhị Dinh 3", "Chi hội thôn Nhị Dinh 3 (1 báo cáo)",
                                     "thuộc Chi hội thôn Nhị Dinh 2")]
    first = post(client, f"{CHAPTERS}/{nd2}/stop")
    assert first.status_code == 200 and "Ngừng Chi hội thôn Nhị Dinh 2?" in first.get_data(as_text=True)
    assert post(client, f"{CHAPTERS}/{nd2}/stop", confirm="1").status_code == 302
    assert "✅ Đã ngừng chi hội: Chi hội thôn Nhị Dinh 2: đang hoạt động → ngừng (giữ lịch sử)" in notice(client)
    assert post(client, f"{CHAPTERS}/{nd2}/stop", confirm="1").status_code == 404  # stopped: no longer a target


def test_removing_a_persons_roles_asks_first(chat, org, client, settings, example_day):
    log_in(client, chat, ADMIN)
    member = person_id(settings, MEMBER)
    first = post(client, f"/console/o/{ORG}/people/{member}/remove")
    assert first.status_code == 200 and "Bỏ mọi vai trò của Lê Văn Cường (ủy viên Ban Thường vụ)?" in first.get_data(
        as_text=True)
    assert post(client, f"/console/o/{ORG}/people/{member}/remove", confirm="1").status_code == 302
    with session_scope(settings.database_url) as s:
        assert s.scalars(select(Membership).where(Membership.person_id == member)).all() == []
    assert audit_rows(settings) == [("bỏ vai trò", "Lê Văn Cường", "ủy viên Ban Thường vụ", "không còn vai trò")]
    assert client.get(CHAPTERS).status_code == 200


def test_invite_codes(chat, org, client, settings, example_day):
    log_in(client, chat, ADMIN)
    nd1 = chapter_id(settings, "NHIDINH1")
    shown = []
    for data in ({"role": "head", "chapter": str(nd1)}, {"role": "member"}, {"role": "admin"}):
        assert post(client, f"/console/o/{ORG}/invites", **data).status_code == 302
        shown.append(notice(client))
    with session_scope(settings.database_url) as s:
        codes = [(i.role, i.chapter_id, i.code) for i in s.scalars(select(Invite).order_by(Invite.id))
                 if i.created_by == person_id(settings, ADMIN)]
    assert [(r, c) for r, c, _code in codes] == [("head", nd1), ("member", None), ("admin", None)]
    assert shown[0].startswith(f"🔑 Mã đăng ký cho Chi hội thôn Nhị Dinh 1: {codes[0][2]}")
    assert shown[1].startswith(f"🔑 Mã đăng ký ủy viên Ban Thường vụ Hội Chữ thập đỏ xã Điện Phước: {codes[1][2]}")
    assert shown[2].startswith(f"🔑 Mã đăng ký quản trị viên Hội Chữ thập đỏ xã Điện Phước: {codes[2][2]}")
    assert "Ban Thường vụ" in chat.ask("7003000000000000099", f"đk {codes[1][2]}")  # the code works in chat
    assert post(client, f"/console/o/{ORG}/invites", role="owner").status_code == 404


def test_members_read_heads_and_others_get_nothing(chat, org, client, settings, example_day):
    other_org(settings)
    nd1, foreign = chapter_id(settings, "NHIDINH1"), chapter_id(settings, "KHAC1", "ctd-other")
    foreign_person = person_id(settings, "7009000000000000001")
    log_in(client, chat, MEMBER)
    page = client.get(CHAPTERS).get_data(as_text=True)
    assert "Chi hội thôn Nhị Dinh 1" in page and "Nguyễn Văn An" in page and "<form method=\"post\" class=\"fix\"" not in page
    for url, data in ((f"{CHAPTERS}/add", {"name": "X"}), (f"{CHAPTERS}/{nd1}/stop", {"confirm": "1"}),
                      (f"{CHAPTERS}/{nd1}/rename", {"name": "X"}), (f"/console/o/{ORG}/invites", {"role": "admin"}),
                      (f"/console/o/{ORG}/people/{person_id(settings, ADMIN)}/remove", {"confirm": "1"})):
        assert post(client, url, **data).status_code == 403, url
    log_in(client, chat, ADMIN)
    token = csrf_token(client, CHAPTERS)
    for url, data in ((f"{CHAPTERS}/{foreign}/stop", {"confirm": "1"}), (f"{CHAPTERS}/{nd1}/merge", {"into": str(foreign)}),
                      (f"{CHAPTERS}/{foreign}/rename", {"name": "X"}), (f"/console/o/{ORG}/invites",
                                                                         {"role": "head", "chapter": str(foreign)}),
                      (f"/console/o/{ORG}/people/{foreign_person}/remove", {"confirm": "1"}),
                      ("/console/o/ctd-other/chapters/add", {"name": "X"})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 404, url
    assert client.get("/console/o/ctd-other/chapters").status_code == 404
    assert client.post(f"{CHAPTERS}/{nd1}/stop", data={"confirm": "1"}).status_code == 400  # no token
    log_in(client, chat, HEAD1)
    assert client.get(CHAPTERS).status_code == 404
    assert audit_rows(settings) == []


def test_html_in_names_is_text(chat, org, client, settings, example_day):
    log_in(client, chat, ADMIN)
    post(client, f"{CHAPTERS}/add", name="<script>alert(1)</script>")
    html = client.get(CHAPTERS).get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
