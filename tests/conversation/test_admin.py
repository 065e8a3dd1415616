"""The committee runs the association from Zalo: the first admin by a one-time code, the committee
and heads invited by chat, chapters, people, targets and the digest hour changed by chat, every
change in the audit log, people shown by name."""

from __future__ import annotations

import re
from datetime import timedelta

import requests
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.storage.db import session_scope
from bot.storage.models import AuditEntry, Chapter, Identity, Invite, Membership, Organization, Report, Target
from tests.conftest import EXAMPLE_NOW

ADMIN = "7101000000000000001"
MEMBER = "7101000000000000002"
HEAD = "7102000000000000001"
STRANGER = "7103000000000000001"
ORG = "ctd-dienphuoc"
CODE = re.compile(r": ([A-Z0-9]{6})\n")

ORG_FILE = """\
organization:
  code: ctd-dienphuoc
  name: Hội Chữ thập đỏ xã Điện Phước
  committee:
    - {name: "Nguyễn Văn An", role: admin}
  chapters:
    - {code: NHIDINH1, name: "Chi hội thôn Nhị Dinh 1"}
    - {code: NHIDINH2, name: "Chi hội thôn Nhị Dinh 2"}
    - {code: PHONGNHI, name: "Chi hội thôn Phong Nhị"}
    - {code: MAMNON, name: "Chi hội trường Mầm non"}
  targets:
    year: 2026
    default: {gifts: 30, blood_units: 8}
"""


def setup_org(app, tmp_path, zalo):
    """The deployer's part: the organization file (people by name only), and Zalo's names of the users."""
    path = tmp_path / "org.yaml"
    path.write_text(ORG_FILE, encoding="utf-8")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import-org", str(path)])
    assert result.exit_code == 0, result.output
    users = [{"user_id": ADMIN, "display_name": "An Nguyễn"}, {"user_id": MEMBER, "display_name": "Bình Trần"},
             {"user_id": HEAD, "display_name": "Hoa Phạm"}]
    requests.post(f"{zalo.url}/__fake/users", json=users, timeout=5).raise_for_status()


def cli_invite(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["invite", "--org", ORG, *args])
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code), result.stdout
    return code


def bind(chat, who: str, code: str) -> str:
    return chat.ask(who, f"đk {code}")


def code_in(answer: str) -> str:
    m = CODE.search(answer + "\n")
    assert m, answer
    return m.group(1)


def committee(chat, app, tmp_path, zalo) -> str:
    """The transcript's start: the first admin by the command line's code, a committee member and a
    head by the admin's codes in chat. The head's code."""
    setup_org(app, tmp_path, zalo)
    bind(chat, ADMIN, cli_invite(app, "--role", "admin", "--name", "Nguyễn Văn An"))
    bind(chat, MEMBER, code_in(chat.ask(ADMIN, "mời ban thường vụ")))
    head_code = code_in(chat.ask(ADMIN, "mời NHIDINH1"))
    bind(chat, HEAD, head_code)
    return head_code


def test_the_committee_runs_the_association_from_zalo(chat, app, settings, zalo, example_day, tmp_path):
    """invite --role admin → đk → mời ban thường vụ / mời <chi hội> → đk → a report → the admin changes
    chapters, a target and the digest hour → tổng, chưa báo cáo, chỉ tiêu, nhật ký, the digest and the
    export show every change."""
    codes = _bootstrap(chat, app, zalo, tmp_path)
    _administer(chat)
    _read_back(chat)
    _audit_log(chat, *codes)
    _digest_and_export(app, settings, tmp_path)


def _bootstrap(chat, app, zalo, tmp_path) -> tuple[str, str, str]:
    setup_org(app, tmp_path, zalo)
    code = cli_invite(app, "--role", "admin", "--name", "Nguyễn Văn An")
    assert chat.ask(ADMIN, f"đk {code}") == (
        "✅ Đăng ký thành công! Anh/chị là quản trị viên Ban Thường vụ Hội Chữ thập đỏ xã Điện Phước.\n"
        'Anh/chị nhắn "tổng" để xem số liệu, "chưa báo cáo" để xem chi hội nào chưa gửi, '
        '"mời <mã chi hội>" để mời chi hội trưởng.\n'
        'Nhắn "giúp" để xem các lệnh.'
    )
    answer = chat.ask(ADMIN, "mời ban thường vụ")
    member_code = code_in(answer)
    assert answer == (
        f"🔑 Mã đăng ký ủy viên Ban Thường vụ Hội Chữ thập đỏ xã Điện Phước: {member_code}\n"
        "Dùng một lần, hiệu lực đến hết 28/11/2026.\n"
        f"Anh/chị gửi mã cho người được mời và nhờ họ nhắn cho bot: đk {member_code}"
    )
    assert bind(chat, MEMBER, member_code) == (
        "✅ Đăng ký thành công! Anh/chị là ủy viên Ban Thường vụ Hội Chữ thập đỏ xã Điện Phước.\n"
        'Anh/chị nhắn "tổng" để xem số liệu, "chưa báo cáo" để xem chi hội nào chưa gửi.\n'
        'Nhắn "giúp" để xem các lệnh.'
    )
    assert chat.sent(ADMIN)[-1]["text"] == (
        f"👤 Bình Trần đã dùng mã {member_code} và được gắn vào Ban Thường vụ (ủy viên Ban Thường vụ)."
    )
    head_code = code_in(chat.ask(ADMIN, "mời NHIDINH1"))
    assert bind(chat, HEAD, head_code) == (
        "✅ Đăng ký thành công! Anh/chị là chi hội trưởng Chi hội thôn Nhị Dinh 1 (Hội Chữ thập đỏ xã Điện Phước).\n"
        "Từ nay anh/chị gửi báo cáo ngay tại đây, ví dụ: qua 20 tri gia 10tr, mau 8.\n"
        'Nhắn "giúp" để xem hướng dẫn.'
    )
    assert chat.sent(ADMIN)[-1]["text"] == f"👤 Hoa Phạm đã dùng mã {head_code} và được gắn vào Chi hội thôn Nhị Dinh 1."
    assert chat.ask(HEAD, "qua 20 tri gia 10tr, mau 8").startswith("✅ Đã ghi nhận cho Chi hội thôn Nhị Dinh 1, ngày 21/11/2026:")

    return code, member_code, head_code


def _administer(chat):
    assert chat.ask(ADMIN, "thêm chi hội thôn Gò Nổi mã GONOI") == (
        '✅ Đã thêm chi hội: Chi hội thôn Gò Nổi\nmã GONOI\nNhắn "nhật ký" để xem các thay đổi.'
    )
    assert chat.ask(ADMIN, "ngừng chi hội Phong Nhị") == (
        "❓ Ngừng Chi hội thôn Phong Nhị? Chi hội sẽ không còn phải báo cáo; số liệu cũ vẫn giữ.\n"
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.'
    )
    assert chat.ask(ADMIN, "đúng") == (
        "✅ Đã ngừng chi hội: Chi hội thôn Phong Nhị\nđang hoạt động → ngừng (giữ lịch sử)\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    assert chat.ask(ADMIN, "gộp chi hội Nhị Dinh 1 vào Nhị Dinh 2") == (
        "❓ Gộp Chi hội thôn Nhị Dinh 1 vào Chi hội thôn Nhị Dinh 2? 1 báo cáo của Chi hội thôn Nhị Dinh 1 "
        "sẽ tính cho Chi hội thôn Nhị Dinh 2; tên cũ vẫn tìm được.\n"
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.'
    )
    assert chat.ask(ADMIN, "đúng") == (
        "✅ Đã gộp chi hội: Chi hội thôn Nhị Dinh 1\n"
        "Chi hội thôn Nhị Dinh 1 (1 báo cáo) → thuộc Chi hội thôn Nhị Dinh 2\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    assert chat.ask(ADMIN, "chỉ tiêu máu 100") == (
        "✅ Đã đặt chỉ tiêu: Đơn vị máu năm 2026, Hội Chữ thập đỏ xã Điện Phước\nchưa có → 100\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    assert chat.ask(ADMIN, "giờ tổng hợp 19:30") == (
        "✅ Đã đổi giờ tổng hợp: Hội Chữ thập đỏ xã Điện Phước\n20:00 → 19:30\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )


def _read_back(chat):
    assert chat.ask(ADMIN, "tổng") == (
        "📊 Hội Chữ thập đỏ xã Điện Phước: tháng 11/2026\n"
        "1/3 chi hội đã báo cáo.\n"
        "• Quà: 20 suất, trị giá 10.000.000 đ\n"
        "• Máu: 8 đơn vị\n"
        'Xem thêm: "chưa báo cáo", "chỉ tiêu", "xuất tháng 11/2026".'
    )
    assert chat.ask(ADMIN, "chưa báo cáo") == (
        "📭 Hội Chữ thập đỏ xã Điện Phước: 2/3 chi hội chưa báo cáo 7 ngày qua (15/11/2026–21/11/2026):\n"
        "• Chi hội trường Mầm non (MAMNON)\n"
        "• Chi hội thôn Gò Nổi (GONOI)\n"
        'Nhắn "nhắc" để nhắc các chi hội này.'
    )
    assert chat.ask(ADMIN, "chỉ tiêu") == (
        "🎯 Hội Chữ thập đỏ xã Điện Phước: chỉ tiêu năm 2026\n"
        "Đã qua 89% thời gian của năm.\n"
        "• Quà 20/90 suất: 22%, chậm ⚠️\n"
        "• Máu 8/100 đơn vị: 8%, chậm ⚠️\n"
        '2 chỉ tiêu đang chậm so với tiến độ. Nhắn "chưa báo cáo" để xem chi hội nào chưa gửi số liệu.'
    )
    # the merged chapter's old name finds the chapter it merged into, with its history
    assert chat.ask(ADMIN, "chi hội Nhị Dinh 1").startswith(
        "🏠 Chi hội thôn Nhị Dinh 2 (NHIDINH2), tháng 11/2026:\n• Quà: 20 suất, trị giá 10.000.000 đ\n• Máu: 8 đơn vị\n"
    )

def _audit_log(chat, code: str, member_code: str, head_code: str):
    assert chat.ask(MEMBER, "nhật ký") == (
        "📜 Nhật ký thay đổi Hội Chữ thập đỏ xã Điện Phước, 7 ngày qua (15/11/2026–21/11/2026):\n"
        f"• 10:00 21/11/2026 Nguyễn Văn An: đăng ký Nguyễn Văn An: quản trị viên (mã {code})\n"
        f"• 10:00 21/11/2026 Bình Trần: đăng ký Bình Trần: ủy viên Ban Thường vụ (mã {member_code})\n"
        f"• 10:00 21/11/2026 Hoa Phạm: đăng ký Hoa Phạm: chi hội trưởng Chi hội thôn Nhị Dinh 1 (mã {head_code})\n"
        "• 10:00 21/11/2026 Nguyễn Văn An: thêm chi hội Chi hội thôn Gò Nổi: mã GONOI\n"
        "• 10:00 21/11/2026 Nguyễn Văn An: ngừng chi hội Chi hội thôn Phong Nhị: đang hoạt động → ngừng (giữ lịch sử)\n"
        "• 10:00 21/11/2026 Nguyễn Văn An: gộp chi hội Chi hội thôn Nhị Dinh 1: "
        "Chi hội thôn Nhị Dinh 1 (1 báo cáo) → thuộc Chi hội thôn Nhị Dinh 2\n"
        "• 10:00 21/11/2026 Nguyễn Văn An: đặt chỉ tiêu Đơn vị máu năm 2026, Hội Chữ thập đỏ xã Điện Phước: chưa có → 100\n"
        "• 10:00 21/11/2026 Nguyễn Văn An: đổi giờ tổng hợp Hội Chữ thập đỏ xã Điện Phước: 20:00 → 19:30"
    )


def _digest_and_export(app, settings, tmp_path):
    with app.app_context():
        digest = app.test_cli_runner().invoke(args=["digest", "--org", ORG, "--date", "2026-11-21"])
    assert digest.exit_code == 0, digest.output
    assert "Hôm nay, 1/3 chi hội báo cáo:\n" in digest.output
    assert "• Máu 8/100 đơn vị: 8%, chậm ⚠️\n" in digest.output
    assert "• Nhị Dinh 2: quà 20 suất (10.000.000 đ) · máu 8 đv\n" in digest.output
    assert "Chưa báo cáo 7 ngày qua: Mầm non, Gò Nổi\n" in digest.output
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(Organization.digest_time).where(Organization.code == ORG)) == "19:30"
    out = tmp_path / "bao-cao.xlsx"
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["export", "--org", ORG, "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).worksheets[-1]
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[header.index("Chi hội")] == "Chi hội thôn Nhị Dinh 2"
    assert row[header.index("Người báo cáo")] == "Hoa Phạm"


def test_unknown_names_get_the_closest_matches(chat, app, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    assert chat.ask(ADMIN, "ngừng chi hội Bến Tre") == (
        'Không tìm thấy chi hội "Bến Tre".\nGần giống nhất:\n'
        "• Chi hội trường Mầm non\n• Chi hội thôn Nhị Dinh 1\n• Chi hội thôn Nhị Dinh 2"
    )
    assert chat.ask(ADMIN, "bỏ Trần Văn Bình") == (
        'Không tìm thấy người "Trần Văn Bình".\nGần giống nhất:\n• Bình Trần\n• Nguyễn Văn An\n• Hoa Phạm'
    )
    assert chat.ask(ADMIN, "gộp chi hội Bến Tre vào Nhị Dinh 2").startswith('Không tìm thấy chi hội "Bến Tre".')
    assert chat.ask(ADMIN, "đổi tên chi hội Bến Tre thành Gò Nổi").startswith('Không tìm thấy chi hội "Bến Tre".')
    assert chat.ask(ADMIN, "chỉ tiêu máu 10 cho Bến Tre").startswith('Không tìm thấy chi hội "Bến Tre".')
    # a close spelling of two names asks which one
    assert chat.ask(ADMIN, "ngừng chi hội Nhị Dinh 9") == (
        'Có 2 chi hội khớp với "Nhị Dinh 9":\n• Chi hội thôn Nhị Dinh 2\n• Chi hội thôn Nhị Dinh 1\n'
        "Anh/chị nhắn lại với tên đầy đủ hoặc mã chi hội."
    )


def test_merges_into_itself_or_a_stopped_chapter_are_refused(chat, app, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    assert chat.ask(ADMIN, "gộp chi hội NHIDINH2 vào Nhị Dinh 2") == "Không thể gộp Chi hội thôn Nhị Dinh 2 vào chính nó."
    chat.ask(ADMIN, "ngừng chi hội PHONGNHI")
    chat.ask(ADMIN, "đúng")
    assert chat.ask(ADMIN, "gộp chi hội NHIDINH2 vào Phong Nhị") == (
        "Không thể gộp vào Chi hội thôn Phong Nhị: chi hội này đã ngừng hoạt động."
    )
    assert chat.ask(ADMIN, "thêm chi hội thôn Nhị Dinh 2") == (
        "Đã có Chi hội thôn Nhị Dinh 2 (mã NHIDINH2): hai chi hội không thể trùng tên."
    )
    assert chat.ask(ADMIN, "thêm chi hội trường THCS mã NHIDINH2") == (
        "Mã NHIDINH2 đã dùng cho Chi hội thôn Nhị Dinh 2. Anh/chị chọn mã khác."
    )
    assert chat.ask(ADMIN, "đổi tên chi hội MAMNON thành thôn Nhị Dinh 2") == (
        "Đã có Chi hội thôn Nhị Dinh 2 (mã NHIDINH2): hai chi hội không thể trùng tên."
    )
    assert chat.ask(ADMIN, "gộp chi hội Nhị Dinh 2") == (
        "Anh/chị nhắn: gộp chi hội <A> vào <B>\nVí dụ: gộp chi hội NHIDINH3 vào NHIDINH2"
    )


def test_bad_targets_are_refused_and_absurd_ones_asked(chat, app, settings, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    assert chat.ask(ADMIN, "chỉ tiêu máu abc") == '"abc" không phải là số. Ví dụ: chỉ tiêu máu 100'
    assert chat.ask(ADMIN, "chỉ tiêu máu -5") == "Chỉ tiêu không thể là số âm (-5)."
    assert chat.ask(ADMIN, "chỉ tiêu sữa 5") == (
        'Không biết chỉ số "sữa". Các chỉ số: Suất quà, Đơn vị máu, Hội viên mới, Tình nguyện viên mới, '
        "Tiền vận động, Suất học bổng, Học viên sơ cấp cứu, Nhà nhân đạo."
    )
    with session_scope(settings.database_url) as s:  # last year's: 8 units for each of the 4 chapters
        org = s.scalar(select(Organization).where(Organization.code == ORG))
        for chapter in org.chapters:
            s.add(Target(org_id=org.id, chapter_id=chapter.id, year=2025, indicator="blood_units", target=8))
    assert chat.ask(ADMIN, "chỉ tiêu máu 40000") == (
        "❓ Chỉ tiêu Đơn vị máu 40.000 gấp hơn 1.000 lần năm trước (32). Anh/chị chắc chứ?\n"
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.'
    )
    assert chat.ask(ADMIN, "huỷ") == "Đã huỷ, không thay đổi gì."
    assert chat.ask(ADMIN, "chỉ tiêu máu 9000 cho Nhị Dinh 2") == (
        "❓ Chỉ tiêu Đơn vị máu 9.000 cho Chi hội thôn Nhị Dinh 2 gấp hơn 1.000 lần năm trước (8). Anh/chị chắc chứ?\n"
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.'
    )
    assert chat.ask(ADMIN, "đúng") == (
        "✅ Đã đặt chỉ tiêu: Đơn vị máu năm 2026, Chi hội thôn Nhị Dinh 2\n8 → 9.000\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    assert chat.ask(ADMIN, "chỉ tiêu tiền vận động 50tr") == (
        "✅ Đã đặt chỉ tiêu: Tiền vận động năm 2026, Hội Chữ thập đỏ xã Điện Phước\nchưa có → 50.000.000\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    # a committee member reads targets but sets none
    assert chat.ask(MEMBER, "chỉ tiêu máu 10") == (
        'Lệnh "chỉ tiêu" chỉ dành cho quản trị viên của Ban Thường vụ. Anh/chị nhắn "chỉ tiêu" để xem chỉ tiêu.'
    )
    assert chat.ask(MEMBER, "chỉ tiêu").startswith("🎯 Hội Chữ thập đỏ xã Điện Phước: chỉ tiêu năm 2026")
    with session_scope(settings.database_url) as s:
        rows = s.execute(select(Target.chapter_id, Target.indicator, Target.target)
                         .where(Target.year == 2026, Target.indicator.in_(["blood_units", "funds_raised"]))
                         .order_by(Target.id)).all()
    assert [(i, t) for _c, i, t in rows] == [("blood_units", 8), ("blood_units", 9000), ("blood_units", 8),
                                             ("blood_units", 8), ("funds_raised", 50_000_000)]


def test_questions_expire_and_other_answers_drop_them(chat, app, settings, zalo, example_day, clock_at, tmp_path):
    committee(chat, app, tmp_path, zalo)
    chat.ask(ADMIN, "ngừng chi hội Mầm non")
    clock_at(EXAMPLE_NOW + timedelta(minutes=11))
    assert chat.ask(ADMIN, "đúng") == (
        "Câu hỏi đã quá 10 phút nên không thực hiện. Anh/chị nhắn lại lệnh nếu vẫn muốn làm."
    )
    chat.ask(ADMIN, "ngừng chi hội Mầm non")
    assert chat.ask(ADMIN, "tổng").startswith("📊 ")  # another command: the question is dropped
    assert chat.ask(ADMIN, "đúng") == 'Chưa hiểu lệnh này.\nNhắn "giúp" để xem các lệnh.'
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(Chapter.active).where(Chapter.code == "MAMNON")) is True
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ngừng chi hội")) == 0


def test_remove_a_person_hand_a_chapter_over_and_rename(chat, app, settings, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    chat.ask(HEAD, "qua 5")
    assert chat.ask(ADMIN, "bỏ Hoa Phạm") == (
        "❓ Bỏ mọi vai trò của Hoa Phạm (chi hội trưởng Chi hội thôn Nhị Dinh 1)? Báo cáo của người này vẫn giữ.\n"
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.'
    )
    assert chat.ask(ADMIN, "đúng") == (
        "✅ Đã bỏ vai trò: Hoa Phạm\nchi hội trưởng Chi hội thôn Nhị Dinh 1 → không còn vai trò\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    assert chat.ask(HEAD, "qua 7").startswith("Chào anh/chị! Tài khoản Zalo này chưa gắn")
    assert "• Quà: 5 suất" in chat.ask(ADMIN, "tổng")  # the report stays
    assert chat.ask(ADMIN, "bỏ Nguyễn Văn An") == (
        'Không thể bỏ Nguyễn Văn An: đây là quản trị viên duy nhất. Anh/chị nhắn "mời admin" để có thêm quản trị viên trước.'
    )

    code = code_in(chat.ask(ADMIN, "mời MAMNON"))
    assert chat.ask(ADMIN, f"giao chi hội Nhị Dinh 1 cho {code.lower()}") == (
        f"❓ Giao Chi hội thôn Nhị Dinh 1 cho người dùng mã {code}? Chi hội trưởng hiện tại (chưa có) sẽ thôi phụ trách; "
        "báo cáo cũ vẫn giữ.\n"
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.'
    )
    assert chat.ask(ADMIN, "đúng") == (
        f"✅ Đã giao chi hội: Chi hội thôn Nhị Dinh 1\nchưa có → người dùng mã {code}\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    assert bind(chat, STRANGER, code).startswith("✅ Đăng ký thành công! Anh/chị là chi hội trưởng Chi hội thôn Nhị Dinh 1")
    assert chat.ask(ADMIN, "đổi tên Người dùng 0001 thành Lê Thị Mai") == (
        "✅ Đã đổi tên: Người dùng 0001\nNgười dùng 0001 → Lê Thị Mai\n"
        'Nhắn "nhật ký" để xem các thay đổi.'
    )
    code2 = code_in(chat.ask(ADMIN, "mời NHIDINH2"))
    assert chat.ask(ADMIN, f"giao chi hội Nhị Dinh 2 cho {code}") == (
        "❓ Giao Chi hội thôn Nhị Dinh 2 cho Lê Thị Mai? Chi hội trưởng hiện tại (chưa có) sẽ thôi phụ trách; "
        "báo cáo cũ vẫn giữ.\n"
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.'
    )
    assert chat.ask(ADMIN, "đúng").startswith("✅ Đã giao chi hội: Chi hội thôn Nhị Dinh 2\nchưa có → Lê Thị Mai\n")
    assert chat.ask(STRANGER, "NHIDINH2: qua 3").startswith("✅ Đã ghi nhận cho Chi hội thôn Nhị Dinh 2")
    assert code2


def test_codes_used_twice_expired_or_for_another_organization_bind_nothing(chat, app, settings, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    code = code_in(chat.ask(ADMIN, "mời admin"))
    assert bind(chat, STRANGER, code).startswith("✅ Đăng ký thành công! Anh/chị là quản trị viên Ban Thường vụ")
    assert bind(chat, "7103000000000000002", code) == (
        f'Mã "{code}" đã được dùng. Mỗi mã chỉ dùng một lần; anh/chị xin Ban Thường vụ mã mới.'
    )
    expired = cli_invite(app, "--role", "member")
    with session_scope(settings.database_url) as s:
        s.scalar(select(Invite).where(Invite.code == expired)).expires_at -= timedelta(days=8)
    assert bind(chat, "7103000000000000002", expired) == (
        f'Mã "{expired}" đã hết hạn ngày 20/11/2026. Anh/chị xin Ban Thường vụ mã mới.'
    )
    other = tmp_path / "other.yaml"
    other.write_text("organization:\n  code: hpn-other\n  name: Hội Phụ nữ xã Khác\n"
                     "  chapters:\n    - {code: A1, name: Chi hội ấp 1}\n", encoding="utf-8")
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["import-org", str(other)]).exit_code == 0
        foreign = app.test_cli_runner().invoke(args=["invite", "--org", "hpn-other", "--role", "head",
                                                     "--chapter", "A1"]).stdout.strip()
    assert chat.ask(ADMIN, f"giao chi hội Nhị Dinh 2 cho {foreign}") == (
        f'Không tìm thấy mã mời "{foreign}" của tổ chức mình (hoặc mã đã hết hạn). '
        'Anh/chị nhắn "mời <mã chi hội>" để lấy mã mới.'
    )
    with session_scope(settings.database_url) as s:
        members = s.scalars(select(Membership.role).join(Identity, Identity.person_id == Membership.person_id)
                            .where(Identity.external_id == "7103000000000000002")).all()
        assert members == []


def test_a_committee_member_reads_the_log_but_changes_nothing_and_heads_neither(chat, app, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    for text, name in [("ngừng chi hội MAMNON", "ngừng chi hội"), ("thêm chi hội thôn X", "thêm chi hội"),
                       ("giờ tổng hợp 18:00", "giờ tổng hợp"), ("mời admin", "mời admin"), ("bỏ Hoa Phạm", "bỏ")]:
        assert chat.ask(MEMBER, text) == (
            f'Lệnh "{name}" chỉ dành cho quản trị viên của Ban Thường vụ. Anh/chị nhắn "giúp" để xem các lệnh mình dùng được.'
        )
    assert chat.ask(MEMBER, "nhật ký").startswith("📜 Nhật ký thay đổi Hội Chữ thập đỏ xã Điện Phước")
    assert chat.ask(MEMBER, "nhật ký tháng 10") == (
        "📜 Nhật ký thay đổi Hội Chữ thập đỏ xã Điện Phước, tháng 10/2026:\nKhông có thay đổi nào."
    )
    assert chat.ask(HEAD, "nhật ký") == 'Lệnh "nhật ký" dành cho Ban Thường vụ. Anh/chị nhắn "xem" để xem số liệu của chi hội mình.'
    assert chat.ask(HEAD, "ngừng chi hội MAMNON") == (
        'Lệnh "ngừng chi hội" dành cho Ban Thường vụ. Anh/chị nhắn "xem" để xem số liệu của chi hội mình.'
    )
    assert chat.ask(STRANGER, "nhật ký").startswith("Chào anh/chị! Tài khoản Zalo này chưa gắn")


def test_two_admins_changing_one_chapter_both_land_in_the_log_in_order(chat, app, settings, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    bind(chat, STRANGER, code_in(chat.ask(ADMIN, "mời admin")))
    # both messages are queued before either is handled
    assert chat.say(ADMIN, "đổi tên chi hội MAMNON thành Chi hội trường Mầm non Hoa Sen")["status"] == 200
    assert chat.say(STRANGER, "đổi tên chi hội MAMNON thành Chi hội trường Mẫu giáo")["status"] == 200
    chat.work()
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(Chapter.name).where(Chapter.code == "MAMNON")) == "Chi hội trường Mẫu giáo"
        log = s.execute(select(AuditEntry.subject, AuditEntry.before, AuditEntry.after)
                        .where(AuditEntry.action == "đổi tên chi hội").order_by(AuditEntry.at, AuditEntry.id)).all()
    assert [tuple(r) for r in log] == [
        ("MAMNON", "Chi hội trường Mầm non", "Chi hội trường Mầm non Hoa Sen"),
        ("MAMNON", "Chi hội trường Mầm non Hoa Sen", "Chi hội trường Mẫu giáo"),
    ]
    # every former name still finds it
    assert chat.ask(MEMBER, "chi hội Mầm non Hoa Sen").startswith("🏠 Chi hội trường Mẫu giáo (MAMNON)")


def test_help_lists_the_administration_for_admins_only(chat, app, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    admin_help = chat.ask(ADMIN, "giúp")
    assert "• nhật ký [kỳ]: các thay đổi của Ban Thường vụ\n" in admin_help
    assert "• mời ban thường vụ, mời admin: cấp mã cho ủy viên, quản trị viên\n" in admin_help
    assert "• chỉ tiêu <chỉ số> <số> [cho <chi hội>], giờ tổng hợp HH:MM" in admin_help
    member_help = chat.ask(MEMBER, "giúp")
    assert "• nhật ký [kỳ]" in member_help and "gộp chi hội" not in member_help


def test_a_stopped_chapter_reports_no_more_and_its_head_is_told(chat, app, settings, zalo, example_day, tmp_path):
    committee(chat, app, tmp_path, zalo)
    assert chat.ask(HEAD, "qua 5").startswith("✅ Đã ghi nhận cho Chi hội thôn Nhị Dinh 1")
    chat.ask(ADMIN, "ngừng chi hội NHIDINH1")
    chat.ask(ADMIN, "đúng")
    assert chat.ask(HEAD, "qua 7") == (
        "Chi hội thôn Nhị Dinh 1 đã ngừng báo cáo theo quyết định của Ban Thường vụ, nên tin này không được ghi nhận.\n"
        "Nếu có nhầm lẫn, anh/chị liên hệ Ban Thường vụ."
    )
    with session_scope(settings.database_url) as s:
        assert s.scalars(select(Report.raw_text)).all() == ["qua 5"]
    # its history stays in the totals; it is no longer expected to report
    assert "• Quà: 5 suất" in chat.ask(ADMIN, "tổng")
    assert "Nhị Dinh 1" not in chat.ask(ADMIN, "chưa báo cáo")
