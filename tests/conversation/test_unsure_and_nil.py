"""Chat transcripts for issue 12's chat side: an unsure reading waits for the head's "đúng", a
nil report ("không có hoạt động", "0") counts its chapter as reported, "qua 0" is an item of 0.

Real webhook, RQ, simulator and database; the committee's view is read as the committee gets it:
``tổng`` and ``chưa báo cáo`` by chat, the digest as it is composed, the export's workbook.
"""

from __future__ import annotations

from sqlalchemy import select, text

from bot import clock
from bot.digest.jobs import compose
from bot.parsing import default_catalog
from bot.reporting.xlsx import build_workbook, columns
from bot.storage.db import session_scope
from bot.storage.models import Organization

HEAD = "7002000000000000001"  # NHIDINH1, Chi hội thôn Nhị Dinh 1
HEAD2 = "7002000000000000002"  # NHIDINH2
ADMIN = "7001000000000000001"

UNSURE = "qua 14 suat, 7tr; mau 8"  # 7tr has no key of its own in its clause: the gifts are unsure
ASKED = (
    "❓ Tôi hiểu là: Quà 14 suất, trị giá 7.000.000 đ. Đúng không?\n"
    "Báo cáo này của Chi hội thôn Nhị Dinh 1, ngày 21/11/2026 chưa được tính, cả các số liệu khác trong tin:\n"
    "• Máu: 8 đơn vị\n"
    'Trả lời "đúng" để ghi nhận, hoặc "sửa …" để ghi lại, ví dụ: sửa qua 20 tri gia 10tr. '
    'Nhắn "huỷ" để bỏ báo cáo này.'
)
STILL_WAITING = (
    'Báo cáo vừa gửi vẫn chưa được tính. Anh/chị nhắn "sửa …" kèm số liệu đúng, ví dụ: '
    'sửa qua 20 tri gia 10tr, hoặc "huỷ" để bỏ báo cáo này.'
)
CONFIRMED = (
    "✅ Đã ghi nhận cho Chi hội thôn Nhị Dinh 1, ngày 21/11/2026:\n"
    "• Quà: 14 suất, trị giá 7.000.000 đ\n"
    "• Máu: 8 đơn vị\n"
    'Nếu sai, nhắn "sửa ..." để sửa hoặc "huỷ" để huỷ báo cáo này.'
)
NOTHING_WAITING = (
    "Không có báo cáo nào đang chờ anh/chị xác nhận. Số liệu đã ghi nhận vẫn được tính; "
    'nhắn "xem" để xem số liệu tháng này của chi hội.'
)
TOTALS_NONE = (
    "📊 Hội Chữ thập đỏ xã Điện Phước: hôm nay, 21/11/2026\n"
    "0/12 chi hội đã báo cáo.\n"
    "Chưa có số liệu nào trong kỳ này.\n"
    'Xem thêm: "chưa báo cáo", "chỉ tiêu", "xuất hôm nay".'
)
TOTALS_COUNTED = (
    "📊 Hội Chữ thập đỏ xã Điện Phước: hôm nay, 21/11/2026\n"
    "1/12 chi hội đã báo cáo.\n"
    "• Quà: 14 suất, trị giá 7.000.000 đ\n"
    "• Máu: 8 đơn vị\n"
    'Xem thêm: "chưa báo cáo", "chỉ tiêu", "xuất hôm nay".'
)
ASKED_MEMBERS = (
    "❓ Tôi hiểu là: Hội viên mới 5 người. Đúng không?\n"
    "Báo cáo này của Chi hội thôn Nhị Dinh 1, ngày 21/11/2026 chưa được tính.\n"
    'Trả lời "đúng" để ghi nhận, hoặc "sửa …" để ghi lại, ví dụ: sửa qua 20 tri gia 10tr. '
    'Nhắn "huỷ" để bỏ báo cáo này.'
)
NIL = (
    "✅ Đã ghi nhận: không có hoạt động (Chi hội thôn Nhị Dinh 2, ngày 21/11/2026).\n"
    'Chi hội được tính là đã báo cáo. Khi có số liệu, anh/chị cứ gửi như thường lệ; gửi nhầm thì nhắn "huỷ".'
)
OTHER_CHAPTERS = [
    "• Chi hội thôn Nhị Dinh 3 (NHIDINH3)",
    "• Chi hội thôn Nông Sơn 1 (NONGSON1)",
    "• Chi hội thôn Nông Sơn 2 (NONGSON2)",
    "• Chi hội thôn Hạ Nông Đông (HANONGDONG)",
    "• Chi hội thôn Phong Nhị (PHONGNHI)",
    "• Chi hội thôn Đông Hòa (DONGHOA)",
    "• Chi hội trường Mầm non (MAMNON)",
    "• Chi hội trường Tiểu học số 1 (TIEUHOC1)",
    "• Chi hội trường Tiểu học số 2 (TIEUHOC2)",
    "• Chi hội trường THCS (THCS)",
]


def missing_answer(*lines: str) -> str:
    return "\n".join(
        [f"📭 Hội Chữ thập đỏ xã Điện Phước: {len(lines)}/12 chi hội chưa báo cáo hôm nay, 21/11/2026:",
         *lines, 'Nhắn "nhắc" để nhắc các chi hội này.']
    )


def sums(settings) -> dict[str, tuple[int | None, int | None]]:
    """indicator -> (quantity, value) over active reports, straight from SQL (NULL kept)."""
    sql = """
        SELECT i.indicator, SUM(i.quantity), SUM(i.value_vnd)
        FROM report_items i JOIN reports r ON r.id = i.report_id
        WHERE r.status = 'active' GROUP BY i.indicator
    """
    with session_scope(settings.database_url) as s:
        return {ind: (q, v) for ind, q, v in s.execute(text(sql))}


def reports(settings) -> list[tuple[str, str, str, list[tuple]]]:
    """(chapter code, status, raw text, items) of every report, oldest first."""
    with session_scope(settings.database_url) as s:
        rows = s.execute(text("SELECT r.id, c.code, r.status, r.raw_text FROM reports r "
                              "JOIN chapters c ON c.id = r.chapter_id ORDER BY r.id")).all()
        out = []
        for rid, code, status, raw in rows:
            found = s.execute(text("SELECT indicator, quantity, value_vnd FROM report_items "
                                   "WHERE report_id = :r ORDER BY id"), {"r": rid}).all()
            out.append((code, status, raw, [tuple(f) for f in found]))
        return out


def digest(settings, org_code: str, day) -> str:
    with session_scope(settings.database_url) as s:
        org = s.scalar(select(Organization).where(Organization.code == org_code))
        text_, _ = compose(s, org, day, clock.now())
        return text_


def export(settings, org_code: str, day) -> tuple[dict, list[tuple]]:
    """(chapter code or row label -> {(indicator, kind): figure}, with "reported" -> the summary's
    line of chapters that reported; and the Báo cáo sheet's rows)."""
    with session_scope(settings.database_url) as s:
        org = s.scalar(select(Organization).where(Organization.code == org_code))
        wb = build_workbook(s, org, day, day)
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Mã")
    cols = columns(default_catalog())
    figures = {"reported": rows[1][0]}
    for row in rows[header_at + 1:]:
        key = row[0] or row[1]
        figures[key] = {(c.indicator, c.kind): v for c, v in zip(cols, row[2:], strict=True) if v}
    body = [(r[2], r[4], r[5], r[6]) for r in list(wb["Báo cáo"].iter_rows(values_only=True))[1:]]
    return figures, body


def test_unsure_item_asks_and_counts_once_on_dung(chat, org, settings, example_day):
    assert chat.ask(ADMIN, "tổng hôm nay") == TOTALS_NONE
    assert chat.ask(HEAD, UNSURE) == ASKED

    # until the head answers, nothing of it counts anywhere; the committee sees it waiting
    assert chat.ask(ADMIN, "tổng hôm nay") == TOTALS_NONE
    assert sums(settings) == {}
    assert reports(settings) == [("NHIDINH1", "pending", UNSURE, [("gifts", 14, 7_000_000), ("blood_units", 8, None)])]
    waiting = digest(settings, org, example_day)
    assert "Hôm nay chưa chi hội nào báo cáo (0/12).\n" in waiting
    assert "Tháng 11: chưa có số liệu.\n" in waiting
    assert "\nChờ chi hội xác nhận: Nhị Dinh 1 (1 báo cáo)\n" in waiting
    figures, body = export(settings, org, example_day)
    assert figures["NHIDINH1"] == {} and figures["Tổng cộng"] == {}
    assert figures["reported"] == "0/12 chi hội đã báo cáo trong kỳ (kể cả báo cáo không có hoạt động)"
    assert body == [("Chi hội thôn Nhị Dinh 1", UNSURE, "Suất quà: 14 suất, 7.000.000 đ; Đơn vị máu: 8 đơn vị",
                     "Chờ xác nhận")]

    # "không" answers "Đúng không?": no nil report, the report still waits
    assert chat.ask(HEAD, "không") == STILL_WAITING
    assert [(code, status) for code, status, _, _ in reports(settings)] == [("NHIDINH1", "pending")]

    # "đúng" counts it, once
    assert chat.ask(HEAD, "đúng") == CONFIRMED
    assert chat.ask(HEAD, "Đúng rồi") == NOTHING_WAITING
    assert sums(settings) == {"gifts": (14, 7_000_000), "blood_units": (8, None)}
    assert [(code, status) for code, status, _, _ in reports(settings)] == [("NHIDINH1", "active")]
    assert chat.ask(ADMIN, "tổng hôm nay") == TOTALS_COUNTED
    counted = digest(settings, org, example_day)
    assert "Hôm nay, 1/12 chi hội báo cáo:\n• Quà: 14 suất, 7.000.000 đ\n• Máu: 8 đơn vị\n" in counted
    assert "Chờ chi hội xác nhận" not in counted
    figures, body = export(settings, org, example_day)
    assert figures["NHIDINH1"] == {("gifts", "quantity"): 14, ("gifts", "value_vnd"): 7_000_000,
                                   ("blood_units", "quantity"): 8}
    assert figures["Tổng cộng"] == figures["NHIDINH1"]
    assert figures["reported"] == "1/12 chi hội đã báo cáo trong kỳ (kể cả báo cáo không có hoạt động)"
    assert [status for _, _, _, status in body] == ["Đang tính"]


def test_sua_replaces_an_unsure_reading_and_huy_cancels_one(chat, org, settings, example_day):
    assert chat.ask(HEAD, "Kết nạp năm hội viên mới") == ASKED_MEMBERS  # năm: five, or the year?
    assert chat.ask(HEAD, "sửa hv moi 29") == (
        "✏️ Đã sửa báo cáo của Chi hội thôn Nhị Dinh 1, ngày 21/11/2026.\n"
        "Trước:\n• Hội viên mới: 5 người\n"
        "Sau:\n• Hội viên mới: 29 người\n"
        'Nếu vẫn sai, nhắn "sửa ..." lần nữa hoặc "huỷ".'
    )
    assert sums(settings) == {"new_members": (29, None)}
    assert chat.ask(HEAD, "đúng") == NOTHING_WAITING  # the question went with the replaced reading
    assert sums(settings) == {"new_members": (29, None)}

    assert chat.ask(HEAD, "Kết nạp năm hội viên mới") == ASKED_MEMBERS
    assert chat.ask(HEAD, "huỷ") == (
        "🗑️ Đã huỷ báo cáo (chưa được tính) của Chi hội thôn Nhị Dinh 1, ngày 21/11/2026:\n"
        "• Hội viên mới: 5 người\n"
        "Số liệu này không còn được tính vào tổng. Nếu cần, anh/chị gửi lại báo cáo đúng."
    )
    assert sums(settings) == {"new_members": (29, None)}
    assert [(status, found) for _, status, _, found in reports(settings)] == [
        ("replaced", [("new_members", 5, None)]),
        ("active", [("new_members", 29, None)]),
        ("cancelled", [("new_members", 5, None)]),
    ]
    assert "Hội viên mới 29" in digest(settings, org, example_day)


def test_an_unsure_correction_asks_again(chat, org, settings, example_day):
    chat.ask(HEAD, "qua 20")
    answer = chat.ask(HEAD, "sửa Quà: 14 suất, 7tr")
    assert answer.endswith(
        "Sau:\n• Quà: 14 suất, trị giá 7.000.000 đ\n"
        "❓ Tôi hiểu là: Quà 14 suất, trị giá 7.000.000 đ. Đúng không?\n"
        'Báo cáo đã sửa chưa được tính. Trả lời "đúng" để ghi nhận, hoặc "sửa …" để ghi lại, hoặc "huỷ" để bỏ.'
    )
    assert sums(settings) == {}
    assert chat.ask(HEAD, "dung").startswith("✅ Đã ghi nhận cho Chi hội thôn Nhị Dinh 1")
    assert sums(settings) == {"gifts": (14, 7_000_000)}


def test_nil_report_takes_the_chapter_off_chua_bao_cao(chat, org, settings, example_day):
    chat.ask(HEAD, "mau 8")
    assert chat.ask(ADMIN, "chưa báo cáo hôm nay") == missing_answer(
        "• Chi hội thôn Nhị Dinh 2 (NHIDINH2)", *OTHER_CHAPTERS)
    before = digest(settings, org, example_day)
    assert "Hôm nay, 1/12 chi hội báo cáo:\n" in before
    assert "Nhị Dinh 2" in before.split("Chưa báo cáo 7 ngày qua: ")[1].split("\n")[0]

    # one message, delivered twice: one nil report, one answer
    first = chat.say(HEAD2, "không có hoạt động", msg_id="aaaabbbbccccdddd0012", duplicate=True)
    assert first["statuses"] == [200, 200]
    chat.work()
    assert [m["text"] for m in chat.sent(HEAD2)] == [NIL]
    assert reports(settings)[1:] == [("NHIDINH2", "active", "không có hoạt động", [])]

    assert chat.ask(ADMIN, "chưa báo cáo hôm nay") == missing_answer(*OTHER_CHAPTERS)
    assert chat.ask(ADMIN, "tổng hôm nay") == (
        "📊 Hội Chữ thập đỏ xã Điện Phước: hôm nay, 21/11/2026\n"
        "2/12 chi hội đã báo cáo.\n"
        "• Máu: 8 đơn vị\n"
        'Xem thêm: "chưa báo cáo", "chỉ tiêu", "xuất hôm nay".'
    )
    assert sums(settings) == {"blood_units": (8, None)}
    after = digest(settings, org, example_day)
    assert "Hôm nay, 2/12 chi hội báo cáo:\n• Máu: 8 đơn vị\n• Không có hoạt động: Nhị Dinh 2\n" in after
    silent = after.split("Chưa báo cáo 7 ngày qua: ")[1].split("\n")[0]
    assert "Nhị Dinh 2" not in silent and "Nhị Dinh 3" in silent
    figures, body = export(settings, org, example_day)
    assert figures["NHIDINH2"] == {} and figures["Tổng cộng"] == {("blood_units", "quantity"): 8}
    assert figures["reported"] == "2/12 chi hội đã báo cáo trong kỳ (kể cả báo cáo không có hoạt động)"
    assert body == [("Chi hội thôn Nhị Dinh 1", "mau 8", "Đơn vị máu: 8 đơn vị", "Đang tính"),
                    ("Chi hội thôn Nhị Dinh 2", "không có hoạt động", "Không có hoạt động", "Đang tính")]


def test_zero_alone_and_tuan_nay_khong_co_gi_are_nil(chat, org, settings, example_day):
    assert chat.ask(HEAD2, "0") == NIL
    assert chat.ask(HEAD, "tuần này không có gì").startswith(
        "✅ Đã ghi nhận: không có hoạt động (Chi hội thôn Nhị Dinh 1, ngày 21/11/2026).")
    assert [(code, status, found) for code, status, _, found in reports(settings)] == [
        ("NHIDINH2", "active", []), ("NHIDINH1", "active", [])]
    assert chat.ask(ADMIN, "chưa báo cáo hôm nay") == missing_answer(*OTHER_CHAPTERS)
    # a message that is neither a report nor nil still gets the hint
    assert chat.ask(HEAD, "chào anh, hôm nay trời đẹp quá").startswith("Chưa thấy số liệu nào trong tin nhắn này.")
    assert len(reports(settings)) == 2


def test_qua_0_is_an_item_of_zero(chat, org, settings, example_day):
    assert chat.ask(HEAD, "qua 0") == (
        "✅ Đã ghi nhận cho Chi hội thôn Nhị Dinh 1, ngày 21/11/2026:\n"
        "• Quà: 0 suất\n"
        'Nếu sai, nhắn "sửa ..." để sửa hoặc "huỷ" để huỷ báo cáo này.'
    )
    assert reports(settings) == [("NHIDINH1", "active", "qua 0", [("gifts", 0, None)])]
    assert sums(settings) == {"gifts": (0, None)}
    assert chat.ask(ADMIN, "chưa báo cáo hôm nay") == missing_answer(
        "• Chi hội thôn Nhị Dinh 2 (NHIDINH2)", *OTHER_CHAPTERS)


def test_nil_from_a_head_of_two_chapters_or_after_a_command_word(chat, org, settings, example_day):
    two = "7002000000000000004"  # heads NONGSON1 and THCS
    assert chat.ask(two, "không có hoạt động").startswith("Anh/chị phụ trách 2 chi hội. Báo cáo này cho chi hội nào?")
    assert chat.ask(two, "THCS") == (
        "✅ Đã ghi nhận: không có hoạt động (Chi hội trường THCS, ngày 21/11/2026).\n"
        'Chi hội được tính là đã báo cáo. Khi có số liệu, anh/chị cứ gửi như thường lệ; gửi nhầm thì nhắn "huỷ".'
    )
    # "Chi hội …" is a committee command's word: a nil report from a head is still a report
    assert chat.ask(HEAD, "Chi hội thôn Nhị Dinh 1 tuần này không có hoạt động").startswith(
        "✅ Đã ghi nhận: không có hoạt động (Chi hội thôn Nhị Dinh 1, ngày 21/11/2026).")
    assert [(code, status, found) for code, status, _, found in reports(settings)] == [
        ("THCS", "active", []), ("NHIDINH1", "active", [])]
    only_nil = digest(settings, org, example_day)
    assert "\nHôm nay, 2/12 chi hội báo cáo:\n• Không có hoạt động: Nhị Dinh 1, THCS\nTháng 11: chưa có số liệu.\n" in only_nil
    silent = only_nil.split("Chưa báo cáo 7 ngày qua: ")[1].split("\n")[0]
    assert "Nhị Dinh 1" not in silent and "THCS" not in silent and "Nông Sơn 1" in silent


def test_dung_after_the_question_expired_still_confirms_the_unsure_report(chat, org, settings, example_day, rconn):
    chat.ask(HEAD, UNSURE)
    assert rconn.delete(f"chb:ask:oa:{HEAD}") == 1  # what Redis does to the question after 30 minutes
    assert chat.ask(HEAD, "đúng") == CONFIRMED
    assert chat.ask(HEAD, "đúng") == NOTHING_WAITING
    assert sums(settings) == {"gifts": (14, 7_000_000), "blood_units": (8, None)}
    # a pending near-duplicate is no reading to confirm: "đúng" does not count it
    chat.ask(HEAD, "mau 3")
    chat.ask(HEAD, "mau 3")
    assert rconn.delete(f"chb:ask:oa:{HEAD}") == 1
    assert chat.ask(HEAD, "đúng") == NOTHING_WAITING
    assert [status for _, status, _, _ in reports(settings)] == ["active", "active", "pending"]


def test_an_unsure_reading_that_is_also_odd_says_both(chat, org, settings, example_day):
    assert chat.ask(HEAD, "Quà: 1500 suất, 7tr") == (
        "❓ Tôi hiểu là: Quà 1.500 suất, trị giá 7.000.000 đ. Đúng không?\n"
        "Báo cáo này của Chi hội thôn Nhị Dinh 1, ngày 21/11/2026 chưa được tính.\n"
        "⚠️ Quà: mỗi suất 4.666 đ, khác thường, anh/chị xem lại giúp.\n"
        'Trả lời "đúng" để ghi nhận, hoặc "sửa …" để ghi lại, ví dụ: sửa qua 20 tri gia 10tr. '
        'Nhắn "huỷ" để bỏ báo cáo này.'
    )
    assert sums(settings) == {}
    assert chat.ask(HEAD, "sửa qua 1500 tri gia 70tr").startswith("✏️ Đã sửa báo cáo")
    assert sums(settings) == {"gifts": (1500, 70_000_000)}
