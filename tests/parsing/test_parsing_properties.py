"""Hypothesis properties of the parser, the money reader and the folding."""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing import parse_report
from bot.parsing.numbers import STYLES, format_vnd, parse_money
from bot.parsing.text import _TOKEN_RE, fold, tokenize
from tests.parsing.parser_work import growth, repeat_to

SENT = datetime(2024, 11, 20, 3, 0, tzinfo=UTC)
VI_WORDS = ["quà", "qua", "máu", "mau", "suất", "phần", "đv", "hv", "mới", "moi", "tnv", "kết", "nạp",
            "ủng", "hộ", "quỹ", "học", "bổng", "nhà", "căn", "mỗi", "tr", "k", "triệu", "tỷ", "đồng",
            "hôm", "nay", "ngày", "tháng", "năm", "thôn", "hai", "mươi", "mốt", "rưỡi", ":", "=",
            ",", ";", "\n", "-", "/", "%", "+", "10tr5", "1.200", "2,5", "12/11", "7h", "0905123456"]
report_text = st.lists(st.one_of(st.sampled_from(VI_WORDS), st.integers(0, 10**7).map(str)),
                       max_size=40).map(" ".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), report_text))
def test_parser_never_raises(text):
    res = parse_report(text, SENT)
    for it in res.items:
        assert it.quantity is None or it.quantity >= 0        # zero is a figure ("qua 0")
        assert it.value_vnd is None or it.value_vnd >= 0
        assert it.quantity is not None or it.value_vnd is not None
    res.to_json()


@settings(max_examples=300)
@given(st.integers(0, 10**13), st.sampled_from(STYLES))
def test_money_round_trip(n, style):
    assert parse_money(format_vnd(n, style)) == n


@given(st.text())
def test_fold_idempotent_and_never_longer(s):
    f = fold(s)
    assert fold(f) == f
    assert len(f) <= len(s)


NO_KEY_WORDS = ["chào", "chị", "anh", "em", "cảm", "ơn", "ạ", "họp", "lúc", "thôn", "ngày", "tháng",
                "năm", "mai", "hôm", "nay", "người", "hộ", "nghèo", "trường", "lớp", "số", "gạo",
                "tấn", "bình", "chữa", "cháy", "ok", "dạ", "nhé", ",", ".", "?", "\n", "đi", "về"]


@given(st.lists(st.one_of(st.sampled_from(NO_KEY_WORDS), st.integers(0, 10**6).map(str)), max_size=30))
def test_no_catalog_word_no_item(words):
    assert parse_report(" ".join(words), SENT).items == ()


def test_tokenizer_regex_is_linear():
    # one alternation of possessive-free, non-nested character classes: no backtracking blow-up
    assert _TOKEN_RE.pattern == r"(\d+(?:[.,]\d+)*)|([^\W\d_]+)|(\n)|([^\s])"
    bad = "1." * 10_000 + "x"
    assert [t.text for t in tokenize(bad)] == ["1." * 9_999 + "1", ".", "x"]


def test_long_message_reads_every_item():
    chunk = "Trao 15 suất quà cho hộ nghèo thôn 2, mỗi suất 300k; hiến máu 12 đv ngày 15/11, quyên góp 2,5tr. "
    res = parse_report(chunk * 200, SENT)
    assert [(i.indicator, i.quantity, i.value_vnd) for i in res.items] == [
        ("gifts", 15, 4_500_000), ("blood_units", 12, None), ("funds_raised", None, 2_500_000)] * 200


LONG_INPUTS = [
    "Trao 15 suất quà cho hộ nghèo thôn 2, mỗi suất 300k; hiến máu 12 đv ngày 15/11, quyên góp 2,5tr. ",
    "1", "mau ", "hai ", "một trăm ", "., ", "hai mươi ", "1.",
]


@pytest.mark.parametrize("unit", LONG_INPUTS)
def test_work_grows_linearly_with_the_message(unit):
    # the executed lines of bot/parsing for 2n characters over those for n: about 2 when the
    # parser is linear, about 4 when some pass rescans the message (counted, not timed)
    ratio = growth(lambda t: parse_report(t, SENT), lambda n: repeat_to(unit, n), 4_000)
    assert ratio < 2.3, ratio
