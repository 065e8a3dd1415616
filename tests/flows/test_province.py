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
