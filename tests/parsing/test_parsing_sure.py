"""Confidence (``sure``), nil reports and zero figures, with the parse command's JSON."""

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from bot.devtools.cli import parse_command
from bot.parsing import parse_report

SENT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
G, B, NM, V, F, S, FA, H = ("gifts", "blood_units", "new_members", "volunteers", "funds_raised",
                            "scholarships", "first_aid_trainees", "houses")


def read(text):
    return [(i.indicator, i.quantity, i.value_vnd, i.sure) for i in parse_report(text, SENT).items]


@pytest.mark.parametrize("text,expect", [
    # plain readings: sure
    ("qua 12 tri gia 6tr mau 4 hv moi 3", [(G, 12, 6_000_000, True), (B, 4, None, True), (NM, 3, None, True)]),
    ("Trao 8 suất quà, mỗi suất 250 nghìn", [(G, 8, 2_000_000, True)]),
    ("Hiến máu: 40 người tham gia, thu được 36 đơn vị", [(B, 36, None, True)]),       # people are not units
    ("Toàn chi hội có 210 hội viên, năm nay kết nạp 7 hội viên mới", [(NM, 7, None, True)]),   # a stock
    ("trao 30 suất quà cho 30 hộ nghèo", [(G, 30, None, True)]),                          # the same figure twice
    # fragile readings: not sure
    ("Kết nạp năm hội viên mới", [(NM, 5, None, False)]),                                 # năm: five or year?
    ("Trao 12 suất quà, mỗi suất gồm 5kg gạo và 150.000 đồng", [(G, 12, None, False)]),   # money left over
    ("Tập huấn sơ cấp cứu cho 35 học viên và 20 người dân", [(FA, 35, None, False)]),     # a second count fits
    ("Quà: 14 suất, 7tr", [(G, 14, 7_000_000, False)]),                                     # money with no key of its own
    ("Tặng quà 68 hộ, số tiền là 16.320.000 ngàn", [(G, 68, 16_320_000_000, False)]),       # đồng, then ngàn again?
    ("ủng hộ 12.500 nghìn", [(F, None, 12_500_000, True)]),
])
def test_sure(text, expect):
    assert read(text) == expect


@pytest.mark.parametrize("text", [
    "Chi hội không có hoạt động tuần này", "khong co hoat dong", "Tuần này không có gì ạ", "ko co gi",
    "0", " 0 ", "Dạ tuần này chi hội chưa có hoạt động",
])
def test_nil_reports(text):
    res = parse_report(text, SENT)
    assert (res.items, res.nil) == ((), True)


@pytest.mark.parametrize("text", [
    "Không có gì à?", "Cảm ơn chị", "mau 6", "Tuần này có hoạt động gì không chị?", "",
])
def test_not_nil(text):
    assert parse_report(text, SENT).nil is False


def test_zero_is_a_figure():
    res = parse_report("qua 0, mau 0, hv moi 0", SENT)
    assert [(i.indicator, i.quantity, i.value_vnd) for i in res.items] == [(G, 0, None), (B, 0, None), (NM, 0, None)]
    assert res.nil is False


def test_to_json_is_the_contract():
    assert parse_report("quà 0, máu 7", SENT).to_json() == {
        "items": [{"indicator": G, "quantity": 0, "value_vnd": None, "sure": True},
                  {"indicator": B, "quantity": 7, "value_vnd": None, "sure": True}],
        "date": None, "nil": False}
    assert parse_report("hôm qua không có hoạt động", SENT).to_json() == {
        "items": [], "date": "2026-11-21", "nil": True}


def test_parse_command_writes_one_line_per_input():
    lines = [
        json.dumps({"text": "mau 9, qua 0", "sent_at": "2026-11-22T03:00:00Z"}),
        "not json",
        json.dumps({"text": "khong co hoat dong"}),
        json.dumps({"text": 5}),
        json.dumps({"text": "ngày 20/11 trao 6 suất quà", "sent_at": "2026-11-22T10:00:00+07:00"}),
    ]
    out = CliRunner().invoke(parse_command, input="\n".join(lines) + "\n")
    assert out.exit_code == 0, out.output
    got = [json.loads(line) for line in out.output.splitlines()]
    assert got[0] == {"items": [{"indicator": B, "quantity": 9, "value_vnd": None, "sure": True},
                                {"indicator": G, "quantity": 0, "value_vnd": None, "sure": True}],
                      "date": None, "nil": False}
    assert set(got[1]) == {"error"}
    assert got[2] == {"items": [], "date": None, "nil": True}
    assert set(got[3]) == {"error"}
    assert got[4] == {"items": [{"indicator": G, "quantity": 6, "value_vnd": None, "sure": True}],
                      "date": "2026-11-20", "nil": False}
    assert len(got) == 5
