"""The report parser: labelled messages written for this repository, plus focused cases.

``tests/data/parser-cases.jsonl`` holds our own sentences for every shape the spec and the
shared dev corpora teach (the shared corpora are scored by ``python -m bot.parsing.score``
as a CI step of their own; the test suite reads nothing outside the repository).
"""

import json
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.parsing import Catalog, Item, ParseResult, default_catalog, parse_report
from bot.parsing.score import main as score_main

CASES_FILE = Path(__file__).resolve().parents[1] / "data" / "parser-cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_cases_file_is_there():
    assert len(CASES) >= 90


@pytest.mark.parametrize("case", CASES, ids=[f"case{n:03d}" for n in range(1, len(CASES) + 1)])
def test_labelled_cases(case):
    got = [{k: i[k] for k in ("indicator", "quantity", "value_vnd")} for i in parse_report(case["text"]).to_json()["items"]]
    assert got == case["expect"], case["note"]


def test_score_command_passes_on_our_cases(capsys):
    assert score_main([str(CASES_FILE)]) == 0
    out = capsys.readouterr().out
    assert f"exact {len(CASES)}/{len(CASES)} = 100.0%" in out


def test_score_command_fails_loudly_on_a_missing_corpus(tmp_path, capsys):
    assert score_main([str(CASES_FILE), str(tmp_path / "nope.jsonl")]) == 2
    assert "corpus file not found" in capsys.readouterr().err


def test_score_command_fails_below_its_threshold(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "mau 8", "expect": []}) + "\n", encoding="utf-8")
    assert score_main([str(bad)]) == 1
    assert "FAIL bad.jsonl: exact 0.0%" in capsys.readouterr().err


SENT = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)   # 10:00 in Việt Nam


def items(text, **kw):
    return [(i.indicator, i.quantity, i.value_vnd) for i in parse_report(text, SENT, **kw).items]


def test_result_shape_and_spans():
    text = "Trao 15 suất quà, mỗi suất 300k; hiến máu 8 đv"
    res = parse_report(text, SENT)
    assert isinstance(res, ParseResult)
    assert all(isinstance(i, Item) for i in res.items)
    assert res.to_json() == {"items": [
        {"indicator": "gifts", "quantity": 15, "value_vnd": 4_500_000, "sure": True},
        {"indicator": "blood_units", "quantity": 8, "value_vnd": None, "sure": True}], "date": None, "nil": False}
    assert [(it.span, it.source) for it in res.items] == [
        ((5, 31), "15 suất quà, mỗi suất 300k"), ((33, 46), "hiến máu 8 đv")]


def test_spans_are_in_nfc_text():
    text = unicodedata.normalize("NFD", "Hiến máu: 24 đơn vị")
    res = parse_report(text, SENT)
    (it,) = res.items
    assert len(text) == 24 and (it.span, it.source) == ((0, 19), "Hiến máu: 24 đơn vị")   # 19 NFC characters


def test_catalog_api():
    cat = default_catalog()
    assert cat.codes == ["gifts", "blood_units", "new_members", "volunteers", "funds_raised",
                         "scholarships", "first_aid_trainees", "houses"]
    gifts = cat.get("gifts")
    assert (gifts.code, gifts.unit, gifts.has_quantity, gifts.has_value) == ("gifts", "suất", True, True)
    assert cat.get("funds_raised").has_quantity is False
    assert cat.get("nope") is None


def test_catalog_with_extra_indicator():
    cat = default_catalog().with_extra([
        {"code": "meals", "name": "Suất ăn", "unit": "suất", "aliases": ["suất ăn", "bữa ăn", "cơm"],
         "quantity": True, "value": True},
        {"code": "trees", "name": "Cây xanh", "unit": "cây", "aliases": ["trồng cây"], "quantity": True},
    ])
    assert isinstance(cat, Catalog)
    assert "meals" in cat.codes and cat.get("meals").unit == "suất"
    assert items("phát 200 suất ăn, mỗi suất 25k", catalog=cat) == [("meals", 200, 5_000_000)]
    assert items("trồng cây 50 cây", catalog=cat) == [("trees", 50, None)]
    assert items("phát 200 suất ăn") == []          # the default catalog has no meals
    with pytest.raises(ValueError):
        default_catalog().with_extra([{"code": "x"}])


@pytest.mark.parametrize("text,sent,expect", [
    ("hôm nay hiến máu 8 đv", SENT, date(2024, 11, 20)),
    ("hom qua trao 20 suat qua", SENT, date(2024, 11, 19)),
    ("hôm kia kết nạp 3 hội viên mới", SENT, date(2024, 11, 18)),
    ("ngày 15/11 trao 10 suất quà", SENT, date(2024, 11, 15)),
    ("25/12 mau 10", SENT, date(2023, 12, 25)),          # most recent 25/12 not in the future
    ("ngay 05/3/2024 mau 10", SENT, date(2024, 3, 5)),
    ("Ngày 12 tháng 11 hiến máu 30 đơn vị", SENT, date(2024, 11, 12)),
    ("mau 10", SENT, None),
    ("tối qua hiến máu 5 đv", datetime(2024, 11, 19, 18, 0, tzinfo=UTC), date(2024, 11, 19)),
    ("hôm nay mau 5", datetime(2024, 11, 19, 18, 0, tzinfo=UTC), date(2024, 11, 20)),   # 01:00 next day in VN
    ("hôm nay mau 5", datetime(2024, 11, 19, 18, 0), date(2024, 11, 20)),               # naive = UTC
])
def test_dates(text, sent, expect):
    assert parse_report(text, sent).date == expect


def test_unparsed_keeps_figures_not_understood():
    res = parse_report("quà 20 suất, 5tr", SENT)
    assert [(i.indicator, i.quantity, i.value_vnd, i.sure) for i in res.items] == [("gifts", 20, 5_000_000, False)]
    assert res.unparsed == ()
    res = parse_report("hiến máu 12 đv, 7 tấn gạo, thêm 3tr", SENT)
    assert [i.indicator for i in res.items] == ["blood_units"]
    assert "3tr" in res.unparsed
    assert parse_report("Cảm ơn chị nhiều ạ", SENT).unparsed == ()


G, B, NM, V, F, S, FA, H = ("gifts", "blood_units", "new_members", "volunteers", "funds_raised",
                            "scholarships", "first_aid_trainees", "houses")
OWN = [
    # number words, colloquial money
    ("Hôm nay chi hội trao mười lăm suất quà cho các hộ khó khăn", [(G, 15, None)]),
    ("hai mươi mốt đơn vị máu", [(B, 21, None)]),
    ("tiếp nhận một trăm linh năm đơn vị máu", [(B, 105, None)]),
    ("kết nạp mười hai hội viên mới", [(NM, 12, None)]),
    ("TNV MỚI: MƯỜI", [(V, 10, None)]),
    ("quyên góp được 2 triệu rưỡi", [(F, None, 2_500_000)]),
    ("ủng hộ 1 củ", [(F, None, 1_000_000)]),
    ("ủng hộ hai trăm nghìn đồng", [(F, None, 200_000)]),
    ("ủng hộ 1 triệu 2", [(F, None, 1_200_000)]),
    ("van dong 3 trieu 200 nghin", [(F, None, 3_200_000)]),
    ("quỹ khuyến học 1tr500", [(F, None, 1_500_000)]),
    ("Chi hội CTĐ xã Điện Phước vận động được 1.909.927.135 đồng", [(F, None, 1_909_927_135)]),
    ("1tr2 ung ho", [(F, None, 1_200_000)]),
    # per-unit values
    ("trao 10 suất quà, mỗi suất 1tr2", [(G, 10, 12_000_000)]),
    ("Chi hội trao 10 suất quà x 500k", [(G, 10, 5_000_000)]),
    ("ung ho 100k x 20 nguoi", [(F, None, 2_000_000)]),
    ("trao quà tết cho 30 hộ, mỗi hộ 500 nghìn", [(G, 30, 15_000_000)]),
    ("Trao 5 suất học bổng, mỗi suất 1 triệu đồng và 20 suất quà, mỗi suất 200 nghìn đồng",
     [(S, 5, 5_000_000), (G, 20, 4_000_000)]),
    ("Hoàn thành 2 căn nhà nhân đạo; mỗi căn hỗ trợ 40 triệu", [(H, 2, 80_000_000)]),
    ("đã trao mười suất quà, mỗi suất ba trăm nghìn", [(G, 10, 3_000_000)]),
    # styles
    ("QUA 20 TRI GIA 10TR MAU 8 HV MOI 5", [(G, 20, 10_000_000), (B, 8, None), (NM, 5, None)]),
    ("quà: 20 suất; máu: 8 đv; quỹ: 5.000.000đ", [(G, 20, None), (B, 8, None), (F, None, 5_000_000)]),
    ("tang quaf 10 suaats", [(G, 10, None)]),
    ("hieens mauf 10 dv", [(B, 10, None)]),
    ("trao 10 xuat qua", [(G, 10, None)]),
    ("ket nap 15hv moi", [(NM, 15, None)]),
    ("8 đv", [(B, 8, None)]),
    ("máu 10 đơn vị\ntnv mới 3 bạn", [(B, 10, None), (V, 3, None)]),
    ("20 suất quà và 10 suất học bổng", [(G, 20, None), (S, 10, None)]),
    # names and non-quantities
    ("Chi hội Nông Sơn 2: quà 12, máu 5", [(G, 12, None), (B, 5, None)]),
    ("THÔN NHỊ DINH 1: HIẾN MÁU 20 ĐV", [(B, 20, None)]),
    ("Chi hội trường Tiểu học số 1 ủng hộ 1.200.000đ", [(F, None, 1_200_000)]),
    ("Covid-19: ủng hộ 2tr", [(F, None, 2_000_000)]),
    ("hiến máu đợt 2 được 45 đơn vị", [(B, 45, None)]),
    ("Kết nạp 3 hội viên mới, nâng tổng số hội viên lên 120 người", [(NM, 3, None)]),
    ("Kết nạp 5 hội viên, hiện chi hội có 85 hội viên", [(NM, 5, None)]),
    ("tập huấn sơ cấp cứu 2 buổi cho 40 đoàn viên", [(FA, 40, None)]),
    ("Hiến máu: 30 người tham gia, thu được 28 đơn vị", [(B, 28, None)]),
    # nothing to report, or nothing safe to report
    ("Bà Lan qua đời hôm qua, hưởng thọ 85 tuổi", []),
    ("Mọi người gửi số liệu mau lên nhé, hôm nay mới có 3 chi hội báo cáo", []),
    ("ủng hộ 7 tấn gạo cho bà con vùng lũ", []),
    ("hôm nay em đi hiến máu lần thứ 10", []),
    ("ok chị, 10h sáng mai em lên xã nộp 3 bản báo cáo", []),
    ("sđt: 0905 123 456", []),
    ("hiến máu 1,5 đơn vị", []),
    ("Tuần sau chi hội sẽ trao 30 suất quà cho hộ nghèo", []),
    ("Năm nay chi hội đặt chỉ tiêu 50 đơn vị máu", []),
    ("Chị ơi em báo cáo quà 20 suất được chưa ạ?", []),
    ("Trao 20 suất quà, trong đó 10 suất trị giá 500k và 10 suất trị giá 300k", []),
    ("tặng 10 hộ nghèo mỗi hộ 1 phần quà trị giá 500k", []),
    ("hỗ trợ 5 triệu cho gia đình bà Hoa", []),
]


@pytest.mark.parametrize("text,expect", OWN)
def test_own_cases(text, expect):
    assert items(text) == expect
