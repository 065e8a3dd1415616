"""A province association above two commune associations, over the simulator: one OA for the tree,
the province committee's `tổng`, `chưa báo cáo`, `chỉ tiêu`, `xã …` cover both communes with exact
figures; each commune's committee sees only its own (examples/org-province-demo.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot import clock
from bot.devtools.orgs import OrgFileError, import_orgs, load_org_file, load_org_files
from bot.storage.db import session_scope
from bot.storage.models import Chapter, Membership, Organization, Target

PROVINCE_FILE = Path(__file__).resolve().parents[2] / "examples" / "org-province-demo.yaml"
PROVINCE, DP, DH = "ctd-province-demo", "ctd-demo-dienphuoc", "ctd-demo-dienhong"
P_ADMIN, P_MEMBER = "7101000000000000001", "7101000000000000002"
DP_ADMIN, DH_ADMIN = "7111000000000000001", "7121000000000000001"
DP_H1, DP_H2, DH_H1 = "7112000000000000001", "7112000000000000002", "7122000000000000001"
DAY = "hôm nay, 21/11/2026"  # the example's day (tests/conftest.py EXAMPLE_NOW)

pytestmark = pytest.mark.usefixtures("example_day")


def run_cli(app, *args: str) -> str:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def counts(settings) -> dict[str, int]:
    with session_scope(settings.database_url) as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (Organization, Chapter, Membership, Target)}


@pytest.fixture
def tree(app, settings):
    out = run_cli(app, "import-org", str(PROVINCE_FILE))
    assert out == ("Đã nhập Hội Chữ thập đỏ tỉnh Demo (ctd-province-demo): 0 chi hội.\n"
                   "Đã nhập Hội Chữ thập đỏ xã Điện Phước (ctd-demo-dienphuoc): 3 chi hội.\n"
                   "Đã nhập Hội Chữ thập đỏ xã Điện Hồng (ctd-demo-dienhong): 3 chi hội.\n")
    return settings


@pytest.fixture
def reported(chat, tree):
    assert "Đã ghi nhận" in chat.ask(DP_H1, "qua 20 tri gia 10tr, mau 8")
    assert "Đã ghi nhận" in chat.ask(DP_H2, "qua 5, hv moi 3")
    assert "Đã ghi nhận" in chat.ask(DH_H1, "qua 10 tri gia 5tr, mau 4, van dong 3tr")
    return chat


def test_import_builds_the_tree_idempotently(app, tree):
    first = counts(tree)
    assert first == {"organizations": 3, "chapters": 6, "memberships": 10, "targets": 3 + 3 * 3 + 3 * 3}
    run_cli(app, "import-org", str(PROVINCE_FILE))
    assert counts(tree) == first
    with session_scope(tree.database_url) as s:
        import_orgs(s, load_org_files(str(PROVINCE_FILE)), clock.now())
        orgs = {o.code: o for o in s.scalars(select(Organization))}
        assert orgs[PROVINCE].parent_id is None
        assert orgs[DP].parent_id == orgs[PROVINCE].id and orgs[DH].parent_id == orgs[PROVINCE].id
        own = {t.indicator: t.target for t in s.scalars(select(Target).where(Target.org_id == orgs[PROVINCE].id))}
        assert own == {"gifts": 400, "blood_units": 100, "funds_raised": 150_000_000}
    assert counts(tree) == first


def test_import_refuses_an_unknown_parent_and_a_list_as_one(settings, tmp_path):
    path = tmp_path / "orgs.yaml"
    path.write_text(yaml.safe_dump({"organizations": [
        {"code": "ctd-a", "name": "A", "parent": "ctd-nowhere"}]}, allow_unicode=True), encoding="utf-8")
    with session_scope(settings.database_url) as s, pytest.raises(OrgFileError, match="unknown parent 'ctd-nowhere'"):
        import_orgs(s, load_org_files(str(path)), clock.now())
    with pytest.raises(OrgFileError, match="several organizations"):
        load_org_file(str(PROVINCE_FILE))


def test_province_admin_sees_both_communes(reported):
    total = reported.ask(P_ADMIN, "tổng hôm nay")
    assert total.splitlines()[:6] == [
        f"📊 Hội Chữ thập đỏ tỉnh Demo: {DAY}",
        "2 xã, 3/6 chi hội đã báo cáo.",
        "• Quà: 35 suất, trị giá 15.000.000 đ",
        "• Máu: 12 đơn vị",
        "• Hội viên mới: 3 người",
        "• Tiền vận động: 3.000.000 đ",
    ]
    assert reported.ask(P_MEMBER, "tổng hôm nay") == total
    missing = reported.ask(P_ADMIN, "chưa báo cáo hôm nay")
    assert missing.splitlines() == [
        f"📭 Hội Chữ thập đỏ tỉnh Demo: 3/6 chi hội chưa báo cáo {DAY}:",
        "• Hội Chữ thập đỏ xã Điện Hồng (ctd-demo-dienhong): 2/3 chi hội chưa báo cáo",
        "• Hội Chữ thập đỏ xã Điện Phước (ctd-demo-dienphuoc): 1/3 chi hội chưa báo cáo",
        'Nhắn "xã <tên hoặc mã>" để xem một xã.',
    ]
    phuoc = reported.ask(P_ADMIN, "xã điện phước")
    assert phuoc.splitlines()[:4] == [
        "🏘 Hội Chữ thập đỏ xã Điện Phước (ctd-demo-dienphuoc), tháng 11/2026:",
        "2/3 chi hội đã báo cáo.",
        "• Quà: 25 suất, trị giá 10.000.000 đ",
        "• Máu: 8 đơn vị",
    ]
    assert "• Quà 25/90 suất: 28%" in phuoc  # 3 chapters × 30
    hong = reported.ask(P_MEMBER, "xa ctd-demo-dienhong")
    assert hong.splitlines()[:5] == [
        "🏘 Hội Chữ thập đỏ xã Điện Hồng (ctd-demo-dienhong), tháng 11/2026:",
        "1/3 chi hội đã báo cáo.",
        "• Quà: 10 suất, trị giá 5.000.000 đ",
        "• Máu: 4 đơn vị",
        "• Tiền vận động: 3.000.000 đ",
    ]
    several = reported.ask(P_ADMIN, "xã điện")
    assert 'Có 2 xã khớp với "điện"' in several and "• ctd-demo-dienhong: Hội Chữ thập đỏ xã Điện Hồng" in several
    targets = reported.ask(P_ADMIN, "chỉ tiêu")
    assert targets.splitlines()[0] == "🎯 Hội Chữ thập đỏ tỉnh Demo: chỉ tiêu năm 2026"
    assert "• Quà 35/400 suất: 9%" in targets  # the province's own target against both communes
    assert "• Máu 12/100 đơn vị: 12%" in targets
    assert "• Tiền vận động 3.000.000/150.000.000 đ: 2%" in targets


def test_each_commune_admin_sees_only_its_own(reported):
    phuoc = reported.ask(DP_ADMIN, "tổng hôm nay")
    assert phuoc.splitlines()[:5] == [
        f"📊 Hội Chữ thập đỏ xã Điện Phước: {DAY}",
        "2/3 chi hội đã báo cáo.",
        "• Quà: 25 suất, trị giá 10.000.000 đ",
        "• Máu: 8 đơn vị",
        "• Hội viên mới: 3 người",
    ]
    assert "Tiền vận động" not in phuoc and "Điện Hồng" not in phuoc
    assert reported.ask(DP_ADMIN, "chưa báo cáo hôm nay").splitlines()[:2] == [
        f"📭 Hội Chữ thập đỏ xã Điện Phước: 1/3 chi hội chưa báo cáo {DAY}:",
        "• Chi hội trường Mầm non (MAMNON)",
    ]
    hong = reported.ask(DH_ADMIN, "tổng hôm nay")
    assert hong.splitlines()[:5] == [
        f"📊 Hội Chữ thập đỏ xã Điện Hồng: {DAY}",
        "1/3 chi hội đã báo cáo.",
        "• Quà: 10 suất, trị giá 5.000.000 đ",
        "• Máu: 4 đơn vị",
        "• Tiền vận động: 3.000.000 đ",
    ]
    assert "Điện Phước" not in reported.ask(DH_ADMIN, "chưa báo cáo hôm nay")
    assert "• Quà 10/120 suất: 8%" in reported.ask(DH_ADMIN, "chỉ tiêu")  # its own chapters' targets only
    assert "không có xã trực thuộc" in reported.ask(DH_ADMIN, "xã điện phước")
    assert "Không tìm thấy chi hội" in reported.ask(DH_ADMIN, "chi hội NHIDINH1")


def test_province_digest_prints_the_sum_and_ranks_the_communes(app, reported):
    text = run_cli(app, "digest", "--org", PROVINCE, "--date", "2026-11-21")
    assert text.splitlines()[:17] == [
        "📋 Hội Chữ thập đỏ tỉnh Demo: tổng hợp ngày 21/11/2026",
        "Hôm nay, 3/6 chi hội báo cáo:",
        "• Quà: 35 suất, 15.000.000 đ",
        "• Máu: 12 đơn vị",
        "• Hội viên mới: 3",
        "• Vận động: 3.000.000 đ",
        "Tháng 11: quà 35 suất (15.000.000 đ) · máu 12 đv · HV mới 3 · vận động 3.000.000 đ",
        "Năm 2026 so với chỉ tiêu (đã qua 89% thời gian):",
        "• Quà 35/400 suất: 9%, chậm ⚠️",
        "• Máu 12/100 đơn vị: 12%, chậm ⚠️",
        "• Vận động 3.000.000/150.000.000 đ: 2%, chậm ⚠️",
        "Năm 2026, ngoài chỉ tiêu: HV mới 3",
        "Các xã so với chỉ tiêu năm 2026:",
        # Điện Phước: quà 25/90, máu 8/24, vận động 0/30tr -> 20%; Điện Hồng: 10/120, 4/30, 3tr/60tr -> 9%
        "1. xã Điện Phước: 20% chỉ tiêu, hôm nay 2/3 chi hội báo cáo, 1 chi hội im 7 ngày",
        "2. xã Điện Hồng: 9% chỉ tiêu, hôm nay 1/3 chi hội báo cáo, 2 chi hội im 7 ngày",
        'Anh/chị nhắn một tin bất kỳ cho OA mỗi tuần để tiếp tục nhận bản tổng hợp; nhắn "tổng" để xem thêm.',
    ][:17]
    # the commune's own digest is unchanged: its chapters only
    phuoc = run_cli(app, "digest", "--org", DP, "--date", "2026-11-21")
    assert phuoc.splitlines()[1] == "Hôm nay, 2/3 chi hội báo cáo:" and "Các xã" not in phuoc
    assert "Chưa báo cáo 7 ngày qua: Mầm non" in phuoc


def test_province_digest_names_a_silent_commune_and_goes_to_its_committee(app, chat, tree):
    chat.ask(DP_H1, "qua 20 tri gia 10tr, mau 8")
    text = run_cli(app, "digest", "--org", PROVINCE, "--date", "2026-11-21")
    assert "2. xã Điện Hồng: 0% chỉ tiêu, hôm nay 0/3 chi hội báo cáo, 3 chi hội im 7 ngày" in text
    assert "Xã chưa báo cáo 7 ngày qua: xã Điện Hồng" in text
    for who in (P_ADMIN, P_MEMBER, DP_ADMIN, DH_ADMIN):  # people Zalo lets the OA write to
        chat.ask(who, "chỉ tiêu")
    before = {who: len(chat.sent(who)) for who in (P_ADMIN, P_MEMBER, DP_ADMIN, DH_ADMIN)}
    assert run_cli(app, "digest", "--org", PROVINCE, "--date", "2026-11-21", "--send").splitlines()[-1] == \
        "-- sent 2, unreachable 0, failed 0"
    for who in (P_ADMIN, P_MEMBER):
        got = chat.sent(who)[before[who]:]  # the digest's text, then its chart (an image)
        assert [m["text"] for m in got if m["text"]] == [text.rstrip("\n")] and len(got) == 2
    assert [len(chat.sent(who)) for who in (DP_ADMIN, DH_ADMIN)] == [before[DP_ADMIN], before[DH_ADMIN]]


def test_province_export_has_communes_as_rows_then_a_sheet_per_commune(app, reported, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "tinh.xlsx"
    run_cli(app, "export", "--org", PROVINCE, "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out))
    wb = load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", "xã Điện Hồng", "xã Điện Phước"]
    rows = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert rows[0][0] == "Hội Chữ thập đỏ tỉnh Demo: báo cáo hoạt động từ 01/11/2026 đến 30/11/2026"
    assert rows[1][0] == "3/6 chi hội của 2 xã đã báo cáo trong kỳ"
    header = rows[2]
    assert header[:4] == ("Mã", "Xã", "Chi hội đã báo cáo", "Suất quà (suất)")
    gifts, gifts_value, blood = (header.index(h) for h in ("Suất quà (suất)", "Suất quà - trị giá (đ)", "Đơn vị máu (đơn vị)"))
    by_code = {r[0]: r for r in rows[3:] if r[0]}
    assert (by_code[DH][2], by_code[DH][gifts], by_code[DH][gifts_value], by_code[DH][blood]) == ("1/3", 10, 5_000_000, 4)
    assert (by_code[DP][2], by_code[DP][gifts], by_code[DP][gifts_value], by_code[DP][blood]) == ("2/3", 25, 10_000_000, 8)
    labelled = {r[2]: r for r in rows[3:] if not r[0]}
    assert (labelled["Tổng cộng"][gifts], labelled["Tổng cộng"][blood]) == (35, 12)
    assert (labelled["Chỉ tiêu năm 2026"][gifts], labelled["Chỉ tiêu năm 2026"][blood]) == (400, 100)
    phuoc = list(wb["xã Điện Phước"].iter_rows(values_only=True))
    assert phuoc[1][0] == "2/3 chi hội đã báo cáo trong kỳ (kể cả báo cáo không có hoạt động)"
    chapters = {r[0]: r[2] for r in phuoc[3:] if r[0]}  # chapter code -> gifts
    assert chapters == {"NHIDINH1": 20, "NHIDINH2": 5, "MAMNON": 0}


def test_merging_a_commune_keeps_its_history(reported, tree):
    before = {q: reported.ask(P_ADMIN, f"xã {q}").splitlines()[1:6] for q in (DP, DH)}
    assert before[DP] == ["2/3 chi hội đã báo cáo.", "• Quà: 25 suất, trị giá 10.000.000 đ", "• Máu: 8 đơn vị",
                          "• Hội viên mới: 3 người", "Năm 2026 so với chỉ tiêu (đã qua 89% thời gian):"]
    assert before[DH][:4] == ["1/3 chi hội đã báo cáo.", "• Quà: 10 suất, trị giá 5.000.000 đ", "• Máu: 4 đơn vị",
                              "• Tiền vận động: 3.000.000 đ"]
    assert reported.ask(DP_ADMIN, "gộp xã Điện Hồng vào Điện Phước").startswith("Lệnh \"xã\" dành cho")
    asked = reported.ask(P_ADMIN, "gộp xã Điện Hồng vào Điện Phước")
    assert asked.splitlines() == [
        "❓ Gộp Hội Chữ thập đỏ xã Điện Hồng vào Hội Chữ thập đỏ xã Điện Phước? 3 chi hội và 1 báo cáo của "
        "Hội Chữ thập đỏ xã Điện Hồng sẽ thuộc Hội Chữ thập đỏ xã Điện Phước; tên cũ vẫn tìm được.",
        'Nhắn "đúng" trong 10 phút để xác nhận, hoặc "huỷ" để thôi.',
    ]
    assert reported.ask(P_ADMIN, "đúng").splitlines()[:3] == [
        "✅ Đã gộp xã: Hội Chữ thập đỏ xã Điện Hồng",
        "Hội Chữ thập đỏ xã Điện Hồng (3 chi hội, 1 báo cáo) → thuộc Hội Chữ thập đỏ xã Điện Phước",
        'Nhắn "nhật ký" để xem các thay đổi.',
    ]
    after = reported.ask(P_ADMIN, f"xã {DP}")
    # the successor's month is the sum of both before the merge: quà 25 + 10, máu 8 + 4, vận động 0 + 3tr
    assert after.splitlines()[1:6] == ["3/6 chi hội đã báo cáo.", "• Quà: 35 suất, trị giá 15.000.000 đ",
                                       "• Máu: 12 đơn vị", "• Hội viên mới: 3 người", "• Tiền vận động: 3.000.000 đ"]
    assert reported.ask(P_ADMIN, "xã điện hồng").splitlines()[0] == \
        "🏘 Hội Chữ thập đỏ xã Điện Phước (ctd-demo-dienphuoc), tháng 11/2026:"  # the old name is an alias
    assert reported.ask(P_ADMIN, "tổng hôm nay").splitlines()[1:3] == [
        "1 xã, 3/6 chi hội đã báo cáo.", "• Quà: 35 suất, trị giá 15.000.000 đ"]
    assert "• Quà 35/210 suất: 17%" in after  # both communes' chapter targets: 3 × 30 + 3 × 40
    # Điện Hồng's head reports on, now into Điện Phước; its committee now sees Điện Phước
    assert "Đã ghi nhận" in reported.ask(DH_H1, "qua 2")
    assert reported.ask(DH_ADMIN, "tổng hôm nay").splitlines()[:3] == [
        f"📊 Hội Chữ thập đỏ xã Điện Phước: {DAY}", "3/6 chi hội đã báo cáo.", "• Quà: 37 suất, trị giá 15.000.000 đ"]
    assert "gộp xã" in reported.ask(P_ADMIN, "nhật ký")
    from bot.digest.jobs import schedule_rows

    with session_scope(tree.database_url) as s:  # the merged commune has no digest of its own
        assert [row.code for row in schedule_rows(s, clock.now())[0]] == [PROVINCE, DP]


def test_help_names_the_province_commands_to_a_province_committee_only(chat, tree):
    admin_help = chat.ask(P_ADMIN, "giúp")
    assert "• xã <tên hoặc mã>: số liệu một xã\n" in admin_help and "• gộp xã <A> vào <B>" in admin_help
    member_help = chat.ask(P_MEMBER, "giúp")
    assert "• xã <tên hoặc mã>" in member_help and "gộp xã" not in member_help
    commune_help = chat.ask(DP_ADMIN, "giúp")
    assert "• xã <tên hoặc mã>" not in commune_help and "gộp xã" not in commune_help
