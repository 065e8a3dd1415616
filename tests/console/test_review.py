"""The reports page's changes: fix an item (audited, the head told by chat), reject, history, period."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import clock
from bot.digest import jobs as digest_jobs
from bot.storage.db import session_scope
from bot.storage.models import AuditEntry, Chapter, Report, ReportChange, ReportItem
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
    status_of,
)

REPORTS = f"/console/o/{ORG}/reports"
TOLD = ('✏️ Nguyễn Văn An đã sửa báo cáo của Chi hội thôn Nhị Dinh 1, ngày 21/11/2026, trên bảng điều khiển:\n'
        '• Quà: 20 suất, trị giá 10.000.000 đ → 2 suất, trị giá 10.000.000 đ\n'
        'Nếu chưa đúng, nhắn "sửa ..." hoặc trả lời Ban Thường vụ.')


def report_of(settings, text: str) -> tuple[int, dict[str, int]]:
    """The id of the report whose message was ``text``, and its items' ids by indicator."""
    with session_scope(settings.database_url) as s:
        report = s.scalar(select(Report).where(Report.raw_text == text))
        return report.id, {i.indicator: i.id for i in report.items}


def digest_text(settings, day) -> str:
    """What ``flask --app app digest`` prints for the day."""
    with session_scope(settings.database_url) as s:
        return digest_jobs.compose(s, digest_jobs.org_by_code(s, ORG), day, clock.now())[0]


def fix(client, report_id: int, item_id: int, **fields):
    url = f"{REPORTS}/{report_id}"
    return client.post(f"{url}/items/{item_id}/fix", data={"csrf_token": csrf_token(client, url), **fields})


def test_an_admin_fixes_a_misread_item_and_the_head_is_told(chat, org, client, settings, example_day, work):
    chat.ask(HEAD1, "qua 20 tri gia 10tr, mau 8")
    report_id, items = report_of(settings, "qua 20 tri gia 10tr, mau 8")
    assert "• Quà: 20 suất, trị giá 10.000.000 đ" in chat.ask(ADMIN, "tổng")
    log_in(client, chat, ADMIN)
    before = len(chat.sent(HEAD1))
    resp = fix(client, report_id, items["gifts"], quantity="2", value_vnd="10.000.000")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"{REPORTS}/{report_id}")
    work()  # the job that delivers the head's notice
    assert [m["text"] for m in chat.sent(HEAD1)[before:]] == [TOLD]
    assert "• Quà: 2 suất, trị giá 10.000.000 đ" in chat.ask(ADMIN, "tổng")
    digest = digest_text(settings, example_day)
    assert "• Quà: 2 suất, 10.000.000 đ" in digest and "• Quà 2/360 suất: 1%" in digest, digest
    with session_scope(settings.database_url) as s:
        change = s.scalar(select(ReportChange).where(ReportChange.report_id == report_id))
        assert change.action == "fix" and change.person_id == person_id(settings, ADMIN)
        assert change.before["items"][0]["quantity"] == 20 and change.after["items"][0]["quantity"] == 2
        entry = s.scalar(select(AuditEntry).where(AuditEntry.subject == f"báo cáo #{report_id}"))
        assert (entry.action, entry.before, entry.after) == (
            "sửa mục", "Quà 20 suất, trị giá 10.000.000 đ", "Quà 2 suất, trị giá 10.000.000 đ")
    page = client.get(f"{REPORTS}/{report_id}").get_data(as_text=True)
    assert f"Đã sửa báo cáo #{report_id}; người gửi đã được báo qua Zalo." in page
    assert "Sửa (bảng điều khiển)" in page and "Suất quà: 20 suất, 10.000.000 đ; Đơn vị máu: 8 đơn vị" in page
    assert "sửa mục: Quà 20 suất, trị giá 10.000.000 đ → Quà 2 suất, trị giá 10.000.000 đ" in page
    assert "Quà 20 suất, trị giá 10.000.000 đ → Quà 2 suất" in chat.ask(ADMIN, "nhật ký")
    # the export's history column says who changed it, in Vietnamese
    from bot.reporting.xlsx import build_workbook
    from bot.storage.models import Organization

    with session_scope(settings.database_url) as s:
        o = s.scalar(select(Organization).where(Organization.code == ORG))
        wb = build_workbook(s, o, example_day, example_day)
    notes = [c.value for row in wb.worksheets[-1].iter_rows() for c in row
             if isinstance(c.value, str) and " lúc " in c.value]
    assert len(notes) == 1 and notes[0].startswith("Ban Thường vụ sửa lúc ") and notes[0].endswith(" bởi Nguyễn Văn An")


def test_bad_or_unchanged_figures_change_nothing(chat, org, client, settings, example_day):
    chat.ask(HEAD1, "mau 8")
    report_id, items = report_of(settings, "mau 8")
    log_in(client, chat, ADMIN)
    for fields, said in (({"quantity": "abc"}, "Số không hợp lệ"), ({"quantity": "-3"}, "Số không hợp lệ"),
                         ({"quantity": "8"}, "Không có gì thay đổi"), ({"quantity": ""}, "Không có gì thay đổi")):
        resp = fix(client, report_id, items["blood_units"], **fields)
        assert resp.status_code == 302
        assert said in client.get(resp.headers["Location"]).get_data(as_text=True), fields
    with session_scope(settings.database_url) as s:
        assert s.get(ReportItem, items["blood_units"]).quantity == 8
        assert s.scalars(select(ReportChange)).all() == [] and s.scalars(select(AuditEntry)).all() == []


def test_fixing_is_for_admins_of_their_own_reports(chat, org, client, settings, example_day):
    chat.ask(HEAD1, "mau 8")
    report_id, items = report_of(settings, "mau 8")
    other_org(settings)
    foreign = add(settings, "KHAC1", "qua 3", [("gifts", 3, None)], org_code="ctd-other")
    with session_scope(settings.database_url) as s:
        foreign_item = s.get(Report, foreign).items[0].id
    log_in(client, chat, MEMBER)
    page = client.get(f"{REPORTS}/{report_id}").get_data(as_text=True)
    assert "mau 8" in page and "/fix" not in page
    token = csrf_token(client, REPORTS)
    url = f"{REPORTS}/{report_id}/items/{items['blood_units']}/fix"
    assert client.post(url, data={"csrf_token": token, "quantity": "1"}).status_code == 403
    assert client.post(f"{REPORTS}/{report_id}/reject", data={"csrf_token": token}).status_code == 403
    log_in(client, chat, ADMIN)
    token = csrf_token(client, REPORTS)
    assert client.post(url, data={"quantity": "1"}).status_code == 400  # no anti-forgery token
    for bad in (f"{REPORTS}/{foreign}/items/{foreign_item}/fix", f"{REPORTS}/{report_id}/items/{foreign_item}/fix",
                f"/console/o/ctd-other/reports/{foreign}/items/{foreign_item}/fix",
                f"{REPORTS}/999999/items/1/fix", f"{REPORTS}/{foreign}/reject"):
        assert client.post(bad, data={"csrf_token": token, "quantity": "1"}).status_code == 404, bad
    for bad in (f"{REPORTS}/{foreign}", f"/console/o/ctd-other/reports/{foreign}", f"{REPORTS}/999999"):
        assert client.get(bad).status_code == 404, bad
    with session_scope(settings.database_url) as s:
        assert s.get(ReportItem, items["blood_units"]).quantity == 8
        assert s.get(ReportItem, foreign_item).quantity == 3


def test_a_head_reads_their_own_history_only(chat, org, client, settings, example_day):
    mine = add(settings, "NHIDINH1", "bao cao cua toi", [("gifts", 1, None)], status="active")
    theirs = add(settings, "NHIDINH2", "bao cao cua ho", [("gifts", 2, None)], status="active")
    log_in(client, chat, HEAD1)
    page = client.get(f"{REPORTS}/{mine}").get_data(as_text=True)
    assert "bao cao cua toi" in page and "/fix" not in page
    assert client.get(f"{REPORTS}/{theirs}").status_code == 404


def test_an_admin_rejects_a_waiting_report(chat, org, client, settings, example_day):
    waiting = add(settings, "NHIDINH1", "qua 2 tri gia 100tr", [("gifts", 2, 100_000_000)])
    counted = add(settings, "NHIDINH1", "mau 4", [("blood_units", 4, None)], status="active")
    log_in(client, chat, ADMIN)
    token = csrf_token(client, REPORTS)
    assert client.post(f"{REPORTS}/{waiting}/reject", data={"csrf_token": token}).status_code == 302
    assert client.post(f"{REPORTS}/{counted}/reject", data={"csrf_token": token}).status_code == 302
    assert status_of(settings, waiting) == "cancelled" and status_of(settings, counted) == "active"
    with session_scope(settings.database_url) as s:
        changes = s.scalars(select(ReportChange)).all()
        assert [(c.report_id, c.action, c.after["status"]) for c in changes] == [(waiting, "reject", "cancelled")]
        assert [(e.action, e.subject) for e in s.scalars(select(AuditEntry))] == [("từ chối", f"báo cáo #{waiting}")]
    page = client.get(f"{REPORTS}/{waiting}").get_data(as_text=True)
    assert "Từ chối</strong> → Đã huỷ" in page and "từ chối" in page
    assert "Quà" not in chat.ask(ADMIN, "tổng")


def test_filter_by_period(chat, org, client, settings, example_day):
    add(settings, "NHIDINH1", "bao cao hom nay", [("gifts", 1, None)], status="active", day=example_day)
    add(settings, "NHIDINH1", "bao cao tuan truoc", [("gifts", 2, None)], status="active",
        day=example_day - timedelta(days=7))
    log_in(client, chat, ADMIN)
    day = example_day.isoformat()
    only_today = client.get(f"{REPORTS}?from={day}").get_data(as_text=True)
    assert "bao cao hom nay" in only_today and "bao cao tuan truoc" not in only_today
    assert f'name="from" value="{day}"' in only_today
    earlier = client.get(f"{REPORTS}?to={(example_day - timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "bao cao tuan truoc" in earlier and "bao cao hom nay" not in earlier
    both = client.get(f"{REPORTS}?from={(example_day - timedelta(days=7)).isoformat()}&to={day}")
    assert "bao cao tuan truoc" in both.get_data(as_text=True) and "bao cao hom nay" in both.get_data(as_text=True)
    assert client.get(f"{REPORTS}?from=hôm-qua").status_code == 404


def test_html_in_the_history_page_is_text(chat, org, client, settings, example_day):
    with session_scope(settings.database_url) as s:
        s.get(Chapter, chapter_id(settings, "NHIDINH1")).name = "<img src=x onerror=alert(1)>Thôn"
    report_id = add(settings, "NHIDINH1", "<script>alert(1)</script> qua 5", [("gifts", 5, None)])
    log_in(client, chat, ADMIN)
    html = client.get(f"{REPORTS}/{report_id}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; qua 5" in html and "&lt;img src=x onerror=alert(1)&gt;Thôn" in html


def test_the_export_is_the_chats_workbook(chat, org, client, settings, example_day):
    import io
    import re

    from openpyxl import load_workbook

    chat.ask(HEAD1, "qua 20 tri gia 10tr, mau 8")
    link = re.search(r"https?://\S+/exports/\S+", chat.ask(ADMIN, "xuất tháng 11/2026")).group(0)
    from_chat = client.get(link[link.index("/exports/"):])
    assert from_chat.status_code == 200
    log_in(client, chat, ADMIN)
    page = client.get(f"{REPORTS}?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    href = re.search(r'<a id="export" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert href == f"/console/o/{ORG}/export?from=2026-11-01&to=2026-11-30"
    resp = client.get(href)
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].endswith(
        f"bao-cao_{ORG}_2026-11-01_2026-11-30.xlsx")

    def cells(data: bytes) -> list:
        book = load_workbook(io.BytesIO(data))
        return [[list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets]

    assert cells(resp.data) == cells(from_chat.data)
    assert client.get(f"/console/o/{ORG}/export").status_code == 200  # this month by default
    for bad in (f"/console/o/{ORG}/export?from=2026-12-01&to=2026-11-01", f"/console/o/{ORG}/export?from=x",
                "/console/o/ctd-other/export"):
        assert client.get(bad).status_code == 404, bad
    log_in(client, chat, HEAD1)
    assert client.get(f"/console/o/{ORG}/export").status_code == 404
    assert 'id="export"' not in client.get(REPORTS).get_data(as_text=True)
