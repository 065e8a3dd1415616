"""The targets grid, the digest hour and tonight's digest preview: the chat's own actions, audited."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.db import session_scope
from bot.storage.models import AuditEntry, Organization, Target
from tests.console.helpers import ADMIN, HEAD1, MEMBER, ORG, chapter_id, csrf_token, log_in, other_org, person_id

TARGETS = f"/console/o/{ORG}/targets"
SETTINGS = f"/console/o/{ORG}/settings"


def target_of(settings, code: str, indicator: str) -> int | None:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(Target.target).where(Target.chapter_id == chapter_id(settings, code),
                                                    Target.indicator == indicator, Target.year == 2026))


def post_grid(client, cells: dict, **extra):
    return client.post(TARGETS, data={"csrf_token": csrf_token(client, TARGETS), **cells, **extra})


def test_an_admin_sets_targets_in_the_grid(chat, org, client, settings, example_day):
    assert "• Quà 0/360 suất" in chat.ask(ADMIN, "chỉ tiêu")
    log_in(client, chat, ADMIN)
    nd1, nd2 = chapter_id(settings, "NHIDINH1"), chapter_id(settings, "NHIDINH2")
    grid = client.get(TARGETS).get_data(as_text=True)
    assert f'name="t-{nd1}-gifts" inputmode="numeric" aria-label="Suất quà, Chi hội thôn Nhị Dinh 1" value="30"' in grid
    resp = post_grid(client, {f"t-{nd1}-gifts": "400", f"t-{nd2}-gifts": "30", f"t-{nd1}-volunteers": "1.000",
                              f"t-{nd2}-blood_units": "nhiều", f"t-{nd2}-new_members": "-5"})
    assert resp.status_code == 302
    page = client.get(TARGETS).get_data(as_text=True)
    assert "✅ Đã đặt chỉ tiêu: Suất quà năm 2026, Chi hội thôn Nhị Dinh 1: 30 → 400" in page
    assert "✅ Đã đặt chỉ tiêu: Tình nguyện viên mới năm 2026, Chi hội thôn Nhị Dinh 1: chưa có → 1.000" in page
    assert "Đơn vị máu, Chi hội thôn Nhị Dinh 2: “nhiều” không phải số hợp lệ" in page
    assert "Hội viên mới, Chi hội thôn Nhị Dinh 2: “-5” không phải số hợp lệ" in page
    assert (target_of(settings, "NHIDINH1", "gifts"), target_of(settings, "NHIDINH1", "volunteers")) == (400, 1000)
    assert (target_of(settings, "NHIDINH2", "blood_units"), target_of(settings, "NHIDINH2", "new_members")) == (8, 20)
    assert "• Quà 0/730 suất" in chat.ask(ADMIN, "chỉ tiêu")
    with session_scope(settings.database_url) as s:  # the chat's audit entries, nothing for unchanged cells
        entries = [(e.action, e.subject, e.before, e.after) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert entries == [
        ("đặt chỉ tiêu", "Suất quà năm 2026, Chi hội thôn Nhị Dinh 1", "30", "400"),
        ("đặt chỉ tiêu", "Tình nguyện viên mới năm 2026, Chi hội thôn Nhị Dinh 1", "chưa có", "1.000"),
    ]


def test_an_absurd_target_needs_i_am_sure(chat, org, client, settings, example_day):
    log_in(client, chat, ADMIN)
    nd1 = chapter_id(settings, "NHIDINH1")
    with session_scope(settings.database_url) as s:
        s.add(Target(org_id=s.scalar(select(Organization.id).where(Organization.code == ORG)), chapter_id=nd1,
                     year=2025, indicator="blood_units", target=8))
    post_grid(client, {f"t-{nd1}-blood_units": "9000"})
    assert "lớn hơn 1000 lần năm trước (8)" in client.get(TARGETS).get_data(as_text=True)
    assert target_of(settings, "NHIDINH1", "blood_units") == 8
    post_grid(client, {f"t-{nd1}-blood_units": "9000"}, sure="1")
    assert target_of(settings, "NHIDINH1", "blood_units") == 9000


def test_targets_are_read_only_for_members_and_heads(chat, org, client, settings, example_day):
    nd1 = chapter_id(settings, "NHIDINH1")
    log_in(client, chat, MEMBER)
    page = client.get(TARGETS).get_data(as_text=True)
    assert "<input name=" not in page and "Chi hội thôn Nhị Dinh 2" in page
    assert post_grid(client, {f"t-{nd1}-gifts": "1"}).status_code == 403
    assert client.post(f"{SETTINGS}/digest-hour", data={"csrf_token": csrf_token(client, SETTINGS),
                                                        "digest_time": "06:00"}).status_code == 403
    log_in(client, chat, HEAD1)
    page = client.get(TARGETS).get_data(as_text=True)
    assert "Chi hội thôn Nhị Dinh 1" in page and "Nhị Dinh 2" not in page and "Điện Phước</th>" not in page
    assert post_grid(client, {f"t-{nd1}-gifts": "1"}).status_code == 403
    assert client.get(SETTINGS).status_code == 404 and "Cài đặt" not in page
    assert target_of(settings, "NHIDINH1", "gifts") == 30


def test_other_organizations_and_forged_posts(chat, org, client, settings, example_day):
    other_org(settings)
    log_in(client, chat, ADMIN)
    for url in ("/console/o/ctd-other/targets", "/console/o/ctd-other/settings"):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, TARGETS)
    foreign = chapter_id(settings, "KHAC1", "ctd-other")
    assert client.post("/console/o/ctd-other/targets", data={"csrf_token": token}).status_code == 404
    assert client.post(TARGETS, data={"csrf_token": token, f"t-{foreign}-gifts": "5"}).status_code == 302
    assert target_of(settings, "KHAC1", "gifts") is None  # not a cell of this grid: ignored
    nd1 = chapter_id(settings, "NHIDINH1")
    assert client.post(TARGETS, data={f"t-{nd1}-gifts": "1"}).status_code == 400
    assert client.post(f"{SETTINGS}/digest-hour", data={"digest_time": "06:00"}).status_code == 400
    assert target_of(settings, "NHIDINH1", "gifts") == 30


def test_the_digest_hour_and_tonights_preview(chat, org, client, settings, example_day):
    chat.ask(HEAD1, "qua 20 tri gia 10tr, mau 8")
    log_in(client, chat, ADMIN)
    page = client.get(SETTINGS).get_data(as_text=True)
    assert 'id="digest_time" value="20:00"' in page
    assert "📋 Hội Chữ thập đỏ xã Điện Phước: tổng hợp ngày 21/11/2026" in page
    assert "• Nhị Dinh 1: quà 20 suất (10.000.000 đ) · máu 8 đv" in page
    for bad in ("25:00", "tối", ""):
        client.post(f"{SETTINGS}/digest-hour", data={"csrf_token": csrf_token(client, SETTINGS), "digest_time": bad})
        assert "Giờ không hợp lệ" in client.get(SETTINGS).get_data(as_text=True), bad
    client.post(f"{SETTINGS}/digest-hour", data={"csrf_token": csrf_token(client, SETTINGS), "digest_time": "19:30"})
    page = client.get(SETTINGS).get_data(as_text=True)
    assert "✅ Đã đổi giờ tổng hợp: Hội Chữ thập đỏ xã Điện Phước: 20:00 → 19:30" in page
    assert 'id="digest_time" value="19:30"' in page
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(Organization.digest_time).where(Organization.code == ORG)) == "19:30"
        entry = s.scalar(select(AuditEntry))
        assert (entry.action, entry.before, entry.after) == ("đổi giờ tổng hợp", "20:00", "19:30")


def test_html_in_names_on_the_grid_is_text(chat, org, client, settings, example_day):
    from bot.storage.models import Chapter

    with session_scope(settings.database_url) as s:
        s.get(Chapter, chapter_id(settings, "NHIDINH2")).name = "<img src=x onerror=alert(1)>Thôn"
    log_in(client, chat, ADMIN)
    for url in (TARGETS, SETTINGS):
        html = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in html, url
    assert "&lt;img src=x onerror=alert(1)&gt;Thôn" in client.get(TARGETS).get_data(as_text=True)


def sink_of(settings) -> tuple[str, str | None]:
    with session_scope(settings.database_url) as s:
        return tuple(s.execute(select(Organization.digest_sink, Organization.group_id)
                               .where(Organization.code == ORG)).one())


def post_sink(client, **form):
    return client.post(f"{SETTINGS}/digest-sink", data={"csrf_token": csrf_token(client, SETTINGS), **form})


def test_an_admin_chooses_where_the_digest_goes(chat, org, client, settings, example_day):
    before = sink_of(settings)
    log_in(client, chat, ADMIN)
    page = client.get(SETTINGS).get_data(as_text=True)
    assert f'name="sink" value="{before[0]}" checked' in page
    for bad in ({"sink": "gmf_group", "group_id": ""}, {"sink": "bot_group", "group_id": "a b"}, {"sink": "email"}):
        assert post_sink(client, **bad).status_code == 302
        said = client.get(SETTINGS).get_data(as_text=True)
        assert "cần mã nhóm" in said or "Nơi nhận không hợp lệ." in said, bad
    assert sink_of(settings) == before
    assert post_sink(client, sink="gmf_group", group_id="g-4821").status_code == 302
    page = client.get(SETTINGS).get_data(as_text=True)
    assert ("✅ Đã đổi nơi nhận tổng hợp: Hội Chữ thập đỏ xã Điện Phước: "
            "Gửi riêng từng thành viên Ban Thường vụ → Nhóm GMF của OA (mã nhóm g-4821)") in page
    assert 'name="sink" value="gmf_group" checked' in page and 'name="group_id" value="g-4821"' in page
    assert sink_of(settings) == ("gmf_group", "g-4821")
    post_sink(client, sink="gmf_group", group_id="g-4821")
    assert "Không có gì thay đổi." in client.get(SETTINGS).get_data(as_text=True)
    with session_scope(settings.database_url) as s:
        entries = [(e.action, e.subject, e.before, e.after, e.person_id) for e in s.scalars(select(AuditEntry))]
    assert entries == [("đổi nơi nhận tổng hợp", "Hội Chữ thập đỏ xã Điện Phước",
                        "Gửi riêng từng thành viên Ban Thường vụ", "Nhóm GMF của OA (mã nhóm g-4821)",
                        person_id(settings, ADMIN))]


def test_only_an_admin_with_the_forms_token_changes_the_sink(chat, org, client, settings, example_day):
    before = sink_of(settings)
    log_in(client, chat, MEMBER)
    page = client.get(SETTINGS).get_data(as_text=True)
    assert '<p id="sink">Gửi riêng từng thành viên Ban Thường vụ</p>' in page and 'name="sink"' not in page
    assert post_sink(client, sink="bot_group", group_id="g-1").status_code == 403
    log_in(client, chat, ADMIN)
    assert client.post(f"{SETTINGS}/digest-sink", data={"sink": "bot_group", "group_id": "g-1"}).status_code == 400
    other_org(settings)
    assert client.post("/console/o/ctd-other/settings/digest-sink",
                       data={"csrf_token": csrf_token(client, SETTINGS), "sink": "fanout"}).status_code == 404
    assert sink_of(settings) == before
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(AuditEntry)) is None
