"""The report parser: every worked example of the dev corpus, plus our own cases."""

import json
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.parsing import Catalog, Item, ParseResult, default_catalog, parse_report

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "parser-dev.jsonl"


def _cases():
    if not CORPUS.exists():
        return []
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


CASES = _cases()


@pytest.mark.skipif(not CASES, reason="shared/corpus/parser-dev.jsonl is not beside the repo")
@pytest.mark.parametrize("case", CASES, ids=[f"dev{n:03d}" for n in range(1, len(CASES) + 1)])
def test_dev_corpus(case):
    got = parse_report(case["text"]).to_json()["items"]
    assert got == case["expect"], case["note"]


SENT = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)   # 10:00 in Việt Nam


def items(text, **kw):
    return [(i.indicator, i.quantity, i.value_vnd) for i in parse_report(text, SENT, **kw).items]


def test_result_shape_and_spans():
    text = "Trao 15 suất quà, mỗi suất 300k; hiến máu 8 đv"
    res = parse_report(text, SENT)
    assert isinstance(res, ParseResult)
    assert all(isinstance(i, Item) for i in res.items)
    assert res.to_json() == {"items": [
        {"indicator": "gifts", "quantity": 15, "value_vnd": 4_500_000},
        {"indicator": "blood_units", "quantity": 8, "value_vnd": None}], "date": None}
    for it in res.items:
        assert text[it.span[0]:it.span[1]] == it.source
    assert "15 suất quà" in res.items[0].source and "300k" in res.items[0].source


def test_spans_are_in_nfc_text():
    text = unicodedata.normalize("NFD", "Hiến máu: 24 đơn vị")
    res = parse_report(text, SENT)
    nfc = unicodedata.normalize("NFC", text)
    (it,) = res.items
    assert nfc[it.span[0]:it.span[1]] == it.source


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
    assert items("quà 20 suất, 5tr")[0][:2] == ("gifts", 20)
    res = parse_report("hiến máu 12 đv, 7 tấn gạo, thêm 3tr", SENT)
    assert [i.indicator for i in res.items] == ["blood_units"]
    assert "3tr" in res.unparsed
    assert parse_report("Cảm ơn chị nhiều ạ", SENT).unparsed == ()
