"""The dashboard and the reports page: figures, roles, other organizations, forms, escaping."""

from __future__ import annotations

import re

from sqlalchemy import delete, select

from bot.storage.db import session_scope
from bot.storage.models import Chapter, ReportChange, Target
from tests.console.helpers import (
    ADMIN,
    HEAD1,
    HEAD2,
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

DASHBOARD = f"/console/o/{ORG}/"
REPORTS = f"/console/o/{ORG}/reports"


def _row(html: str, code: str) -> str:
    found = re.search(rf'<tr id="ind-{code}">(.*?)</tr>', html, re.S)
    assert found, code
    return " ".join(found.group(1).split())


def test_dashboard_shows_what_a_head_just_reported(chat, org, client, example_day):
    assert "Đã ghi nhận" in chat.ask(HEAD1, "qua 20 tri gia 10tr, mau 8")
    log_in(client, chat, ADMIN)
    html = client.get(DASHBOARD).get_data(as_text=True)
    assert "21/11/2026" in html
    gifts = _row(html, "gifts")
    # today, month and year: 20 suất worth 12.500.000 … here 10.000.000 đ; the year's target is 12 × 30
    assert gifts.count("20 suất") == 3 and gifts.count("10.000.000 đ") == 3, gifts
    assert "360 suất" in gifts and "6%" in gifts, gifts
    blood = _row(html, "blood_units")
    assert blood.count("8 đơn vị") == 3 and "96 đơn vị" in blood and "8%" in blood, blood
    silent = re.search(r'<ul class="plain" id="silent">(.*?)</ul>', html, re.S).group(1)
    assert "Chi hội thôn Nhị Dinh 2" in silent and "Chi hội thôn Nhị Dinh 1" not in silent


def test_a_head_sees_only_their_own_chapters(chat, org, client, settings, example_day):
    chat.ask(HEAD1, "qua 20 tri gia 10tr")
    chat.ask(HEAD2, "qua 7, mau 3")
    theirs = add(settings, "NHIDINH2", "Báo cáo riêng của Nhị Dinh 2", [("gifts", 1, None)])
    log_in(client, chat, HEAD1)
    html = client.get(DASHBOARD).get_data(as_text=True)
    gifts = _row(html, "gifts")
    assert gifts.count("20 suất") == 3 and "27 suất" not in gifts and "30 suất" in gifts, gifts  # own target
    reports = client.get(REPORTS).get_data(as_text=True)
    assert "qua 20 tri gia 10tr" in reports
    assert "qua 7, mau 3" not in reports and "Nhị Dinh 2" not in reports
    assert client.get(f"{REPORTS}?chapter={chapter_id(settings, 'NHIDINH2')}").status_code == 404
    token = csrf_token(client, REPORTS)
    assert client.post(f"{REPORTS}/{theirs}/approve", data={"csrf_token": token}).status_code == 404
    assert status_of(settings, theirs) == "pending"


def test_another_organizations_ids_answer_404(chat, org, client, settings, example_day):
    other_org(settings)
    foreign = add(settings, "KHAC1", "qua 3", [("gifts", 3, None)], org_code="ctd-other")
    log_in(client, chat, ADMIN)
    for url in ("/console/o/ctd-other/", "/console/o/ctd-other/reports", "/console/o/no-such-org/",
                f"{REPORTS}?chapter={chapter_id(settings, 'KHAC1', 'ctd-other')}", f"{REPORTS}?chapter=999999",
                f"{REPORTS}?chapter=abc", f"{REPORTS}?status=nonsense"):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, REPORTS)
    for url in (f"{REPORTS}/{foreign}/approve", f"/console/o/ctd-other/reports/{foreign}/approve",
                f"{REPORTS}/999999/approve"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert status_of(settings, foreign) == "pending"


def test_approving_needs_the_forms_token(chat, org, client, settings, example_day):
    waiting = add(settings, "NHIDINH1", "qua 2 tri gia 100tr", [("gifts", 2, 100_000_000)])
    log_in(client, chat, ADMIN)
    assert client.post(f"{REPORTS}/{waiting}/approve").status_code == 400
    assert client.post(f"{REPORTS}/{waiting}/approve", data={"csrf_token": "forged"}).status_code == 400
    assert status_of(settings, waiting) == "pending"


def test_a_committee_member_reads_but_cannot_approve(chat, org, client, settings, example_day):
    waiting = add(settings, "NHIDINH1", "qua 2 tri gia 100tr", [("gifts", 2, 100_000_000)])
    log_in(client, chat, MEMBER)
    page = client.get(REPORTS).get_data(as_text=True)
    assert "qua 2 tri gia 100tr" in page and "/approve" not in page
    token = csrf_token(client, REPORTS)
    assert client.post(f"{REPORTS}/{waiting}/approve", data={"csrf_token": token}).status_code == 403
    assert status_of(settings, waiting) == "pending"


def test_an_admin_approves_a_waiting_report_and_it_counts(chat, org, client, settings, example_day):
    answer = chat.ask(HEAD1, "qua 2 tri gia 100tr")  # 50.000.000 đ a gift: the bot asks first
    assert "chưa được tính" in answer, answer
    log_in(client, chat, ADMIN)
    page = client.get(f"{REPORTS}?status=pending").get_data(as_text=True)
    report_id = int(re.search(r'id="report-(\d+)"', page).group(1))
    assert "qua 2 tri gia 100tr" in page and "Suất quà: 2 suất, 100.000.000 đ" in page
    assert "–" in _row(client.get(DASHBOARD).get_data(as_text=True), "gifts").split("Tháng")[0]
    token = csrf_token(client, REPORTS)
    resp = client.post(f"{REPORTS}/{report_id}/approve?status=pending", data={"csrf_token": token})
    assert resp.status_code == 302
    assert status_of(settings, report_id) == "active"
    with session_scope(settings.database_url) as s:
        change = s.scalar(select(ReportChange).where(ReportChange.report_id == report_id))
        assert change.action == "confirm" and change.person_id == person_id(settings, ADMIN)
        assert change.before["status"] == "pending" and change.after["status"] == "active"
    assert "Đã duyệt báo cáo" in client.get(REPORTS).get_data(as_text=True)
    assert _row(client.get(DASHBOARD).get_data(as_text=True), "gifts").count("100.000.000 đ") == 3
    again = client.post(f"{REPORTS}/{report_id}/approve", data={"csrf_token": token})
    assert again.status_code == 302
    with session_scope(settings.database_url) as s:  # nothing twice
        assert len(s.scalars(select(ReportChange).where(ReportChange.report_id == report_id)).all()) == 1
    chat.ask(HEAD1, "đúng")  # the head's question is still open in chat: it confirms nothing twice
    assert status_of(settings, report_id) == "active"
    with session_scope(settings.database_url) as s:
        assert len(s.scalars(select(ReportChange).where(ReportChange.report_id == report_id)).all()) == 1


def test_filters_by_chapter_and_status(chat, org, client, settings, example_day):
    add(settings, "NHIDINH1", "bao cao mot", [("gifts", 1, None)], status="active")
    add(settings, "NHIDINH2", "bao cao hai", [("gifts", 2, None)], status="pending")
    log_in(client, chat, ADMIN)
    by_chapter = client.get(f"{REPORTS}?chapter={chapter_id(settings, 'NHIDINH2')}").get_data(as_text=True)
    assert "bao cao hai" in by_chapter and "bao cao mot" not in by_chapter
    by_status = client.get(f"{REPORTS}?status=active").get_data(as_text=True)
    assert "bao cao mot" in by_status and "bao cao hai" not in by_status


def test_html_in_reports_and_names_is_shown_as_text(chat, org, client, settings, example_day):
    add(settings, "NHIDINH1", '<script>alert("x")</script><b>qua</b> 5', [("gifts", 5, None)])
    with session_scope(settings.database_url) as s:
        s.get(Chapter, chapter_id(settings, "NHIDINH2")).name = "<img src=x onerror=alert(1)>Thôn"
    log_in(client, chat, ADMIN)
    for url in (REPORTS, DASHBOARD):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>qua</b>" not in html, url
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in client.get(REPORTS).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;Thôn" in client.get(DASHBOARD).get_data(as_text=True)


def test_two_approvals_at_once_record_one_change(settings, org, example_day):
    from bot import clock
    from bot.storage.db import sessionmaker_for
    from bot.storage.models import Report
    from bot.storage.reports import settle

    waiting = add(settings, "NHIDINH1", "qua 2 tri gia 100tr", [("gifts", 2, 100_000_000)])
    first, second = sessionmaker_for(settings.database_url)(), sessionmaker_for(settings.database_url)()
    try:
        a, b = first.get(Report, waiting), second.get(Report, waiting)
        assert a.status == b.status == "pending"
        assert settle(first, a, "active", "confirm", person_id=None, at=clock.now()) is True
        first.commit()
        assert settle(second, b, "active", "confirm", person_id=None, at=clock.now()) is False
        second.commit()
    finally:
        first.close()
        second.close()
    assert status_of(settings, waiting) == "active"
    with session_scope(settings.database_url) as s:
        assert len(s.scalars(select(ReportChange).where(ReportChange.report_id == waiting)).all()) == 1


def test_dashboard_pace_is_the_chats(chat, org, client, example_day):
    # 21/11/2026: 89% of the year gone; gifts 320/360 (89%) on track, blood 8/96 (8%) behind
    assert "số liệu lạ" in chat.ask(HEAD1, "qua 320, mau 8")  # an outlier: confirmed with "đúng"
    assert "Đã ghi nhận" in chat.ask(HEAD1, "đúng")
    targets = chat.ask(ADMIN, "chỉ tiêu")
    assert "320/360 suất: 89%, đúng tiến độ" in targets and "8/96 đơn vị: 8%, chậm ⚠️" in targets, targets
    log_in(client, chat, ADMIN)
    html = client.get(DASHBOARD).get_data(as_text=True)
    assert '<span class="pct">89%</span> <span class="pace">đúng tiến độ</span>' in _row(html, "gifts")
    assert '<span class="pct">8%</span> <span class="pace">chậm ⚠️</span>' in _row(html, "blood_units")


CHART = f"/console/o/{ORG}/chart.png"


def test_the_months_chart_is_the_digests(chat, org, client, settings, example_day):
    other_org(settings)
    chat.ask(HEAD1, "qua 20 tri gia 10tr, mau 8")
    log_in(client, chat, ADMIN)
    html = client.get(DASHBOARD).get_data(as_text=True)
    assert f'<img class="chart" id="chart" src="{CHART}"' in html and 'alt="Biểu đồ tháng 11/2026' in html, html
    resp = client.get(CHART)
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.get_data().startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get("/console/o/ctd-other/chart.png").status_code == 404
    assert client.application.test_client().get(CHART).status_code in (302, 401)  # login first


def test_a_head_gets_no_chart_and_without_targets_the_page_says_so(chat, org, client, settings, example_day):
    log_in(client, chat, HEAD1)
    assert 'id="chart"' not in client.get(DASHBOARD).get_data(as_text=True)
    assert client.get(CHART).status_code == 404  # the chart shows every chapter
    with session_scope(settings.database_url) as s:
        s.execute(delete(Target))
    log_in(client, chat, ADMIN)
    html = client.get(DASHBOARD).get_data(as_text=True)
    assert "Chưa vẽ được biểu đồ tháng: chưa có chỉ tiêu năm 2026." in html and "<img" not in html
