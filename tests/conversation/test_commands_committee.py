"""Chat transcripts for the committee: tổng, chi hội, chưa báo cáo, chỉ tiêu, xuất; members, outsiders."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import clock
from bot.storage.db import session_scope
from bot.storage.models import Report

ADMIN = "7001000000000000001"
MEMBER = "7001000000000000003"
STRANGER = "7009999999999999999"
H1, H2, H7 = "7002000000000000001", "7002000000000000002", "7002000000000000007"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# The example organization's 2026 targets are read here: every test runs on its day.
pytestmark = pytest.mark.usefixtures("example_day")


def today() -> date:
    """The local day on our clock, which the ``example_day`` fixture fixes for every test here."""
    return clock.now().astimezone(VN).date()


def move_reports(settings, days: int) -> None:
    """Date every report ``days`` earlier (as if sent then)."""
    with session_scope(settings.database_url) as s:
        for r in s.scalars(select(Report)):
            r.report_date -= timedelta(days=days)


@pytest.fixture
def reported(chat, org):
    chat.ask(H1, "qua 20 tri gia 10tr, mau 8")
    chat.ask(H2, "qua 5, hv moi 3, van dong 2tr5")
    chat.ask(H2, "huỷ")
    chat.ask(H2, "qua 4, hv moi 3, van dong 2tr5")
    return chat


@pytest.mark.parametrize("who", [ADMIN, MEMBER])
def test_totals_this_month_by_default(reported, who):
    answer = reported.ask(who, "tổng")
    month = today()
    assert answer.splitlines()[0] == f"📊 Hội Chữ thập đỏ xã Điện Phước: tháng {month.month}/{month.year}"
    assert "2/12 chi hội đã báo cáo." in answer
    assert "• Quà: 24 suất, trị giá 10.000.000 đ" in answer
    assert "• Máu: 8 đơn vị" in answer
    assert "• Hội viên mới: 3 người" in answer
    assert "• Tiền vận động: 2.500.000 đ" in answer


def test_totals_for_named_periods(reported, settings):
    assert "2/12 chi hội" in reported.ask(ADMIN, "tong hom nay")
    assert "• Quà: 24 suất" in reported.ask(ADMIN, "/Tổng năm nay")
    answer = reported.ask(ADMIN, "tổng hôm qua")
    assert "0/12 chi hội đã báo cáo." in answer and "Chưa có số liệu nào trong kỳ này." in answer
    move_reports(settings, 1)
    assert "• Quà: 24 suất" in reported.ask(ADMIN, "tổng hôm qua")
    assert "Chưa hiểu kỳ" in reported.ask(ADMIN, "tổng tuần sau nữa")


def test_chapter_by_code_or_name(reported):
    answer = reported.ask(ADMIN, "chi hội nhidinh1")
    assert answer.startswith("🏠 Chi hội thôn Nhị Dinh 1 (NHIDINH1)")
    assert "• Quà: 20 suất, trị giá 10.000.000 đ" in answer
    assert "Quà 20/30 suất: 67%" in answer
    assert f"Báo cáo gần nhất: ngày {today():%d/%m/%Y}." in answer
    assert reported.ask(MEMBER, "chi hoi Nhi Dinh 2").startswith("🏠 Chi hội thôn Nhị Dinh 2 (NHIDINH2)")
    assert "Chi hội chưa gửi báo cáo nào." in reported.ask(ADMIN, "chi hội phong nhi")
    several = reported.ask(ADMIN, "chi hội nông sơn")
    assert "Có 2 chi hội khớp" in several and "• NONGSON1" in several and "• NONGSON2" in several
    missing = reported.ask(ADMIN, "chi hội Hà Nội")
    assert 'Không tìm thấy chi hội "Hà Nội"' in missing and "• THCS: Chi hội trường THCS" in missing
    assert "Anh/chị muốn xem chi hội nào?" in reported.ask(ADMIN, "chi hội")


def test_missing_defaults_to_the_last_seven_days_and_says_so(reported, settings):
    answer = reported.ask(ADMIN, "chưa báo cáo")
    start = today() - timedelta(days=6)
    assert f"10/12 chi hội chưa báo cáo 7 ngày qua ({start:%d/%m/%Y}–{today():%d/%m/%Y})" in answer
    assert "• Chi hội thôn Phong Nhị (PHONGNHI)" in answer
    assert "NHIDINH1" not in answer and "NHIDINH2" not in answer
    move_reports(settings, 8)
    assert "12/12 chi hội chưa báo cáo" in reported.ask(MEMBER, "chua bao cao")
    assert "Nhị Dinh 1" not in reported.ask(MEMBER, "chưa báo cáo năm nay")


def test_missing_when_everyone_reported(chat, org, settings):
    for n in range(1, 12):
        chat.ask(f"70020000000000000{n:02d}", "mau 1" if n != 4 else "NONGSON1: mau 1")
    chat.ask("7002000000000000004", "THCS: mau 1")
    assert "cả 12 chi hội đều đã báo cáo" in chat.ask(ADMIN, "chưa báo cáo tuần này")


def test_targets_show_year_progress_and_pace(reported):
    answer = reported.ask(ADMIN, "chỉ tiêu")
    assert answer.splitlines()[0] == f"🎯 Hội Chữ thập đỏ xã Điện Phước: chỉ tiêu năm {today().year}"
    assert "• Quà 24/360 suất: 7%" in answer
    assert "• Máu 8/96 đơn vị: 8%" in answer
    assert "• Hội viên mới 3/260 người: 1%" in answer  # 11 × 20 + 40 for NHIDINH1
    assert "• Tiền vận động 2.500.000/120.000.000 đ: 2%" in answer
    assert "Chưa có chỉ tiêu nào cho năm 2031" in reported.ask(ADMIN, "chỉ tiêu năm 2031")


def test_export_replies_with_a_signed_link_that_downloads(reported, client):
    answer = reported.ask(ADMIN, "xuất tháng này")
    assert "tệp Excel" in answer and "24 giờ" in answer
    link = next(line for line in answer.splitlines() if line.startswith("http://127.0.0.1:8000/exports/"))
    resp = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert resp.data[:2] == b"PK"


def test_outsiders_get_no_committee_data(reported):
    for asked in ("tổng", "chi hội NHIDINH1", "chưa báo cáo", "chỉ tiêu", "xuất", "mời NHIDINH1", "xem"):
        answer = reported.ask(STRANGER, asked)
        assert answer.startswith("Chào anh/chị! Tài khoản Zalo này chưa gắn với chi hội nào.")
        assert "Quà" not in answer


def test_member_may_not_invite(reported):
    answer = reported.ask(MEMBER, "mời NHIDINH1")
    assert answer.startswith('Lệnh "mời" chỉ dành cho quản trị viên')


def test_committee_xem_gives_the_months_totals(reported):
    assert "• Quà: 24 suất" in reported.ask(MEMBER, "xem")


def test_unknown_command_from_the_committee_gets_suggestions(reported):
    answer = reported.ask(ADMIN, "chưa bao")
    assert "Chưa hiểu lệnh này." in answer
    answer = reported.ask(ADMIN, "chitieu")
    assert '"chỉ tiêu"' in answer


def test_help_for_an_admin_lists_the_committee_commands(reported):
    answer = reported.ask(ADMIN, "giúp")
    for word in ("tổng", "chi hội", "chưa báo cáo", "chỉ tiêu", "xuất", "mời"):
        assert word in answer
