"""Chat transcripts for a chapter head: huỷ, sửa, xem, near-duplicates and outliers, refusals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from bot.storage.db import session_scope
from bot.storage.models import Identity, Report, ReportChange

HEAD = "7002000000000000001"  # NHIDINH1
HEAD2 = "7002000000000000002"  # NHIDINH2
TWO = "7002000000000000004"  # heads NONGSON1 and THCS


def sums(settings, chapter_code: str | None = None) -> dict[str, tuple[int, int]]:
    """indicator -> (quantity, value) over active reports, straight from SQL."""
    sql = """
        SELECT i.indicator, COALESCE(SUM(i.quantity), 0), COALESCE(SUM(i.value_vnd), 0)
        FROM report_items i JOIN reports r ON r.id = i.report_id JOIN chapters c ON c.id = r.chapter_id
        WHERE r.status = 'active' AND (CAST(:code AS VARCHAR) IS NULL OR c.code = :code)
        GROUP BY i.indicator
    """
    with session_scope(settings.database_url) as s:
        return {ind: (int(q), int(v)) for ind, q, v in s.execute(text(sql), {"code": chapter_code})}


def reports(settings) -> list[tuple[int, str, int | None]]:
    with session_scope(settings.database_url) as s:
        return [(r.id, r.status, r.replaces_id) for r in s.scalars(select(Report).order_by(Report.id))]


def person_of(settings, external_id: str) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalars(select(Identity.person_id).where(Identity.external_id == external_id)).one()


def changes(settings) -> list[ReportChange]:
    with session_scope(settings.database_url) as s:
        rows = list(s.scalars(select(ReportChange).order_by(ReportChange.id)))
        s.expunge_all()
        return rows


def test_undo_cancels_the_last_report_and_keeps_history(chat, org, settings):
    chat.ask(HEAD, "qua 10 tri gia 5tr")
    chat.ask(HEAD, "mau 8")
    answer = chat.ask(HEAD, "huỷ")
    assert "Đã huỷ báo cáo của Chi hội thôn Nhị Dinh 1" in answer
    assert "• Máu: 8 đơn vị" in answer
    assert sums(settings) == {"gifts": (10, 5_000_000)}
    (first, s1, _), (second, s2, _) = reports(settings)
    assert (s1, s2) == ("active", "cancelled")
    [change] = changes(settings)
    assert change.action == "cancel" and change.report_id == second and change.person_id == person_of(settings, HEAD)
    assert change.before["items"] == [{"indicator": "blood_units", "quantity": 8, "value_vnd": None}]
    assert change.before["status"] == "active" and change.after["status"] == "cancelled"
    # the next huỷ takes the report before it; then there is nothing left
    assert "• Quà: 10 suất, trị giá 5.000.000 đ" in chat.ask(HEAD, "Hủy")
    assert sums(settings) == {}
    assert "Không có báo cáo nào của anh/chị trong 7 ngày qua để huỷ" in chat.ask(HEAD, "/huy")
    assert len(changes(settings)) == 2


def test_undo_does_not_reach_reports_older_than_seven_days(chat, org, settings):
    chat.ask(HEAD, "qua 10")
    with session_scope(settings.database_url) as s:
        for report in s.scalars(select(Report)):
            report.created_at -= timedelta(days=8)
    assert "Không có báo cáo nào" in chat.ask(HEAD, "huỷ")
    assert sums(settings) == {"gifts": (10, 0)}


def test_undo_only_touches_the_senders_own_reports(chat, org, settings):
    chat.ask(HEAD2, "mau 3")
    assert "Không có báo cáo nào" in chat.ask(HEAD, "huỷ")
    assert sums(settings) == {"blood_units": (3, 0)}


def test_correct_replaces_the_last_report_and_shows_before_and_after(chat, org, settings):
    chat.ask(HEAD, "qua 20 tri gia 10tr, mau 8")
    answer = chat.ask(HEAD, "sửa qua 25 tri gia 12tr, mau 8")
    assert "Đã sửa báo cáo của Chi hội thôn Nhị Dinh 1" in answer
    before, after = answer.split("Sau:")
    assert "• Quà: 20 suất, trị giá 10.000.000 đ" in before
    assert "• Quà: 25 suất, trị giá 12.500.000 đ" not in after
    assert "• Quà: 25 suất, trị giá 12.000.000 đ" in after and "• Máu: 8 đơn vị" in after
    assert sums(settings) == {"gifts": (25, 12_000_000), "blood_units": (8, 0)}
    (old, s_old, _), (new, s_new, replaces) = reports(settings)
    assert (s_old, s_new, replaces) == ("replaced", "active", old)
    [change] = changes(settings)
    assert (change.action, change.report_id, change.new_report_id) == ("correct", old, new)
    assert change.before["items"][0] == {"indicator": "gifts", "quantity": 20, "value_vnd": 10_000_000}
    assert change.after["items"][0] == {"indicator": "gifts", "quantity": 25, "value_vnd": 12_000_000}
    # a second correction replaces the correction; then huỷ cancels what is left
    chat.ask(HEAD, "sua qua 30")
    assert sums(settings) == {"gifts": (30, 0)}
    chat.ask(HEAD, "huỷ")
    assert sums(settings) == {}
    assert [s for _, s, _ in reports(settings)] == ["replaced", "replaced", "cancelled"]
    assert [c.action for c in changes(settings)] == ["correct", "correct", "cancel"]


def test_correct_with_nothing_to_correct_or_no_figures(chat, org, settings):
    assert "Không có báo cáo nào của anh/chị trong 7 ngày qua để sửa" in chat.ask(HEAD, "sửa qua 5")
    assert 'nhắn "sửa" kèm số liệu đúng' in chat.ask(HEAD, "sửa")
    chat.ask(HEAD, "qua 5")
    assert "Chưa thấy số liệu nào" in chat.ask(HEAD, "sửa lại giúp em với")
    assert sums(settings) == {"gifts": (5, 0)}


def test_repairing_houses_is_a_report_not_a_correction(chat, org, settings):
    chat.ask(HEAD, "qua 5")
    answer = chat.ask(HEAD, "sửa 2 nhà đại đoàn kết")
    assert "Đã ghi nhận" in answer
    assert sums(settings)["gifts"] == (5, 0) and sums(settings)["houses"][0] == 2


def test_near_duplicate_asks_first_and_counts_only_when_confirmed(chat, org, settings):
    chat.ask(HEAD, "qua 20 tri gia 10tr, mau 8")
    answer = chat.ask(HEAD, "qua 20 tri gia 10tr, mau 8")
    assert "đã gửi đúng số liệu này" in answer and '"ghi thêm"' in answer and '"bỏ qua"' in answer
    assert [s for _, s, _ in reports(settings)] == ["active", "pending"]
    assert sums(settings) == {"gifts": (20, 10_000_000), "blood_units": (8, 0)}  # pending does not count
    assert "Đã bỏ qua tin gửi trùng" in chat.ask(HEAD, "bỏ qua")
    assert [s for _, s, _ in reports(settings)] == ["active", "cancelled"]
    assert sums(settings) == {"gifts": (20, 10_000_000), "blood_units": (8, 0)}
    # again, and this time it is a second real report
    chat.ask(HEAD, "qua 20 tri gia 10tr, mau 8")
    assert "Đã ghi nhận" in chat.ask(HEAD, "ghi thêm")
    assert sums(settings) == {"gifts": (40, 20_000_000), "blood_units": (16, 0)}
    assert [c.action for c in changes(settings)] == ["cancel", "confirm"]


def test_different_items_or_another_chapter_are_no_duplicate(chat, org, settings):
    chat.ask(HEAD, "mau 8")
    assert "Đã ghi nhận" in chat.ask(HEAD, "mau 9")
    assert "Đã ghi nhận" in chat.ask(HEAD2, "mau 8")
    assert sums(settings) == {"blood_units": (25, 0)}


def test_undo_cancels_a_pending_duplicate(chat, org, settings):
    chat.ask(HEAD, "mau 8")
    chat.ask(HEAD, "mau 8")
    assert "(chưa được tính)" in chat.ask(HEAD, "huỷ")
    assert sums(settings) == {"blood_units": (8, 0)}
    assert "Đã ghi nhận" in chat.ask(HEAD, "qua 3")  # the question is gone: no stale "ghi thêm"


def test_outlier_is_confirmed_before_it_counts(chat, org, settings):
    chat.ask(HEAD, "qua 20")
    answer = chat.ask(HEAD, "trao 1500 suất quà")
    assert "số liệu lạ, chưa được tính" in answer and "• Quà: 1.500 suất" in answer and '"đúng"' in answer
    assert sums(settings) == {"gifts": (20, 0)}
    assert "Đã ghi nhận" in chat.ask(HEAD, "đúng")
    assert sums(settings) == {"gifts": (1520, 0)}


def test_outlier_corrected_with_sua(chat, org, settings):
    answer = chat.ask(HEAD, "qua 10 tri gia 500tr")  # 50.000.000 đ a gift
    assert "mỗi suất 50.000.000 đ" in answer
    assert sums(settings) == {}
    answer = chat.ask(HEAD, "sửa qua 10 tri gia 5tr")
    assert "Đã sửa" in answer
    assert sums(settings) == {"gifts": (10, 5_000_000)}
    assert [s for _, s, _ in reports(settings)] == ["replaced", "active"]


def test_xem_shows_this_month_and_the_year_against_targets(chat, org, settings, example_day):
    chat.ask(HEAD, "qua 12 tri gia 6tr, hv moi 10")
    chat.ask(HEAD2, "qua 99")
    answer = chat.ask(HEAD, "xem")
    assert answer.startswith(f"📊 Chi hội thôn Nhị Dinh 1, tháng {example_day.month}/{example_day.year}")
    assert "• Quà: 12 suất, trị giá 6.000.000 đ" in answer
    assert "• Hội viên mới: 10 người" in answer
    assert "Quà 12/30 suất: 40%" in answer
    assert "Hội viên mới 10/40 người: 25%" in answer  # NHIDINH1's own target overrides the default
    assert "99" not in answer


def test_a_head_of_two_chapters_sees_both(chat, org):
    chat.ask(TWO, "THCS: qua 5")
    answer = chat.ask(TWO, "xem")
    assert "Chi hội thôn Nông Sơn 1" in answer and "Chi hội trường THCS" in answer
    assert "• Quà: 5 suất" in answer


def test_committee_commands_are_refused_to_a_head(chat, org, settings):
    chat.ask(HEAD, "qua 5")
    for asked, name in [("tổng", "tổng"), ("chua bao cao", "chưa báo cáo"), ("chỉ tiêu", "chỉ tiêu"),
                        ("xuất tháng này", "xuất"), ("chi hội NHIDINH2", "chi hội")]:  # fmt: skip
        answer = chat.ask(HEAD, asked)
        assert answer == f'Lệnh "{name}" dành cho Ban Thường vụ. Anh/chị nhắn "xem" để xem số liệu của chi hội mình.'
    assert "Lệnh \"mời\"" in chat.ask(HEAD, "mời NHIDINH2")


def test_a_heads_report_starting_with_a_command_word_is_still_a_report(chat, org, settings):
    assert "Đã ghi nhận" in chat.ask(HEAD, "Tổng cộng trao 20 suất quà")
    assert "Đã ghi nhận" in chat.ask(HEAD, "Chi hội thôn Nhị Dinh 1 hiến máu được 8 đơn vị")
    assert sums(settings) == {"gifts": (20, 0), "blood_units": (8, 0)}


def test_help_for_a_head_lists_the_head_commands(chat, org):
    answer = chat.ask(HEAD, "giúp")
    assert "huỷ" in answer and "sửa" in answer and "xem" in answer
