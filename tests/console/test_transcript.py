"""Issue 14's transcript, end to end: the admin opens the console from the chat's link, fixes a
misread item (the head is told by chat), approves a waiting report, sets a target in the grid;
then ``tổng``, ``chỉ tiêu`` and tonight's digest all show the changes."""

from __future__ import annotations

import html
import re

from bot import clock
from bot.digest import jobs as digest_jobs
from bot.storage.db import session_scope
from tests.console.helpers import ADMIN, HEAD1, HEAD2, ORG, chapter_id, csrf_token, link_path

REPORTS = f"/console/o/{ORG}/reports"


def test_the_issue_14_transcript(chat, org, client, settings, example_day, work):
    # the heads report by chat; one figure was mistyped (20 gifts for 2), one report waits (a costly gift)
    assert "Đã ghi nhận" in chat.ask(HEAD1, "qua 20 tri gia 10tr, mau 8")
    assert "chưa được tính" in chat.ask(HEAD2, "qua 2 tri gia 100tr")
    before = chat.ask(ADMIN, "tổng")
    assert "• Quà: 20 suất, trị giá 10.000.000 đ" in before, before
    # 1. the admin asks the bot for a link and opens it
    resp = client.get(link_path(chat, ADMIN))
    assert resp.status_code == 302 and client.get("/console/").headers["Location"].endswith(f"/console/o/{ORG}/")
    # 2. fixes the misread item on the report's page; the head gets a chat message
    page = client.get(f"{REPORTS}?chapter={chapter_id(settings, 'NHIDINH1')}").get_data(as_text=True)
    report_id = int(re.search(r'id="report-(\d+)"', page).group(1))
    history = client.get(f"{REPORTS}/{report_id}").get_data(as_text=True)
    fix_url = re.search(r'<li id="item-\d+">Suất quà.*?action="([^"]+/fix)"', history, re.S).group(1)
    seen = len(chat.sent(HEAD1))
    token = csrf_token(client, f"{REPORTS}/{report_id}")
    assert client.post(fix_url, data={"csrf_token": token, "quantity": "2", "value_vnd": "10.000.000"}).status_code == 302
    work()
    assert [m["text"] for m in chat.sent(HEAD1)[seen:]] == [
        "✏️ Nguyễn Văn An đã sửa báo cáo của Chi hội thôn Nhị Dinh 1, ngày 21/11/2026, trên bảng điều khiển:\n"
        "• Quà: 20 suất, trị giá 10.000.000 đ → 2 suất, trị giá 10.000.000 đ\n"
        'Nếu chưa đúng, nhắn "sửa ..." hoặc trả lời Ban Thường vụ.']
    # 3. approves the waiting report
    waiting = client.get(f"{REPORTS}?status=pending").get_data(as_text=True)
    approve_url = re.search(r'action="([^"]+/approve[^"]*)"', waiting).group(1).replace("&amp;", "&")
    assert client.post(approve_url, data={"csrf_token": csrf_token(client, REPORTS)}).status_code == 302
    # 4. sets a target in the grid: Nhị Dinh 1's gifts, 30 → 400
    grid_url = f"/console/o/{ORG}/targets"
    cell = f"t-{chapter_id(settings, 'NHIDINH1')}-gifts"
    assert client.post(grid_url, data={"csrf_token": csrf_token(client, grid_url), cell: "400"}).status_code == 302
    assert "✅ Đã đặt chỉ tiêu: Suất quà năm 2026, Chi hội thôn Nhị Dinh 1: 30 → 400" in client.get(
        grid_url).get_data(as_text=True)
    # 5. the chat and the digest show all three changes
    totals = chat.ask(ADMIN, "tổng")
    assert "2/12 chi hội đã báo cáo." in totals and "• Quà: 4 suất, trị giá 110.000.000 đ" in totals, totals
    targets = chat.ask(ADMIN, "chỉ tiêu")
    assert "• Quà 4/730 suất: 1%, chậm ⚠️" in targets, targets
    with session_scope(settings.database_url) as s:
        digest = digest_jobs.compose(s, digest_jobs.org_by_code(s, ORG), example_day, clock.now())[0]
    assert "Hôm nay, 2/12 chi hội báo cáo:\n• Quà: 4 suất, 110.000.000 đ\n• Máu: 8 đơn vị" in digest, digest
    assert "• Quà 4/730 suất: 1%, chậm ⚠️" in digest and "• Nhị Dinh 1: quà 2 suất (10.000.000 đ) · máu 8 đv" in digest
    assert "• Nhị Dinh 2: quà 2 suất (100.000.000 đ)" in digest, digest
    preview = client.get(f"/console/o/{ORG}/settings").get_data(as_text=True)
    assert html.escape(digest, quote=False) in preview.replace("&#34;", '"')  # the console's preview: the same text
    journal = chat.ask(ADMIN, "nhật ký")
    assert "Quà 20 suất, trị giá 10.000.000 đ → Quà 2 suất, trị giá 10.000.000 đ" in journal and "30 → 400" in journal
