"""The number-word grammar (bot/parsing/numwords.py), alone and inside messages."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import parse_report
from bot.parsing.numbers import read_amount
from bot.parsing.numwords import DIALECTS, to_words, value_of
from bot.parsing.text import fold, tokenize

SENT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def words_value(text: str):
    return value_of(fold(text).split())


def read_in_text(text: str, accented: bool):
    """What the message reader makes of ``text`` from its first token: (value, tokens used)."""
    toks = tokenize(text)
    amt = read_amount(toks, 0, accented)
    return None if amt is None else (amt.value, amt.end, len(toks))


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 10**12), st.sampled_from(DIALECTS), st.booleans())
def test_generated_words_read_back(n, dialect, short):
    text = to_words(n, dialect, short)
    assert words_value(text) == n, text                        # with diacritics, folded by the reader
    value, end, count = read_in_text(text, accented=True)
    assert (value, end) == (n, count), text
    plain = fold(text)                                         # and typed without diacritics
    value, end, count = read_in_text(plain, accented=False)
    assert (value, end) == (n, count), plain


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(DIALECTS), st.booleans())
def test_small_numbers_read_back_exhaustively_sampled(n, dialect, short):
    assert words_value(to_words(n, dialect, short)) == n


def test_every_number_below_three_thousand():
    for n in range(3_000):
        for dialect in DIALECTS:
            for short in (False, True):
                assert words_value(to_words(n, dialect, short)) == n, (n, dialect, short)


@pytest.mark.parametrize("text,value", [
    ("ba tư", 34), ("sáu hai", 62), ("bảy lăm", 75), ("bẩy lăm", 75), ("hai mốt", 21), ("chín chín", 99),
    ("hai trăm lẻ tư", 204), ("hai trăm linh bốn", 204), ("một trăm linh năm", 105),
    ("một nghìn không trăm linh năm", 1_005), ("hai ngàn không trăm ba mươi", 2_030),
    ("ba trăm mốt", 310), ("hai ngàn mốt", 2_100), ("hai nghìn tư", 2_400), ("ba triệu hai", 3_200_000),
    ("ba ngàn rưỡi", 3_500), ("hai trăm rưỡi", 250), ("một triệu rưỡi", 1_500_000),
    ("mười", 10), ("mười một", 11), ("mười lăm", 15), ("mười bốn", 14), ("hai mươi", 20),
    ("hai mươi mốt", 21), ("hai mươi tư", 24), ("bốn mươi lăm", 45), ("ba chục", 30),
    ("một nghìn tỷ", 10**12), ("hai tỉ", 2 * 10**9), ("mười hai nghìn", 12_000),
    ("khong", 0), ("ba tu", 34), ("hai tram le tu", 204), ("hai ngan mot", 2_100), ("bay lam", 75),
])
def test_forms_of_the_spec(text, value):
    assert words_value(text) == value


@pytest.mark.parametrize("text", [
    "hai ba", "ba bốn", "năm sáu", "sáu bảy", "bảy tám", "tám chín",     # "2 or 3 people": a range
    "mười năm", "hai mươi năm", "hai năm",                                 # năm there is "year(s)"
    "lăm", "tư", "rưỡi", "trăm", "nghìn", "một hai", "không trăm nghìn",
])
def test_not_one_number(text):
    assert words_value(text) is None


G, B, NM, F, S, H = "gifts", "blood_units", "new_members", "funds_raised", "scholarships", "houses"


def items(text):
    return [(i.indicator, i.quantity, i.value_vnd) for i in parse_report(text, SENT).items]


@pytest.mark.parametrize("text,expect", [
    ("trao ba tư suất quà", [(G, 34, None)]),
    ("tiếp nhận sáu hai đơn vị máu", [(B, 62, None)]),
    ("trao hai trăm lẻ tư suất quà", [(G, 204, None)]),
    ("kết nạp hai mươi tư hội viên mới", [(NM, 24, None)]),
    ("ủng hộ ba triệu hai", [(F, None, 3_200_000)]),
    ("quyên góp ba ngàn rưỡi đồng", [(F, None, 3_500)]),
    ("trao bay lam suat qua", [(G, 75, None)]),
    ("kết nạp năm hội viên mới", [(NM, 5, None)]),
    ("trao năm mươi suất quà", [(G, 50, None)]),
    ("tiếp nhận một trăm linh năm đơn vị máu", [(B, 105, None)]),
])
def test_number_words_in_messages(text, expect):
    assert items(text) == expect


@pytest.mark.parametrize("text,expect", [
    # năm next to a number or a key is the year, never five
    ("6 tháng đầu năm kết nạp được 29 hội viên", [(NM, 29, None)]),
    ("Sáu tháng đầu năm chi hội kết nạp được 14 hội viên mới", [(NM, 14, None)]),
    ("Trong năm trao 40 suất quà", [(G, 40, None)]),
    ("Cuối năm hiến máu được 22 đơn vị", [(B, 22, None)]),
    ("năm 2026 kết nạp 8 hội viên mới", [(NM, 8, None)]),
    ("Đầu năm học mới trao 12 suất học bổng", [(S, 12, None)]),
    ("hai mươi năm qua chi hội trao nhiều suất quà", []),
    ("Năm nay chi hội kết nạp 6 hội viên mới", [(NM, 6, None)]),
    ("Chúc mừng năm mới, kết nạp 3 hội viên", [(NM, 3, None)]),
    ("cả năm hiến máu 30 đv", [(B, 30, None)]),
    ("mười năm qua sửa 4 căn nhà nhân đạo", [(H, 4, None)]),
])
def test_nam_as_the_year(text, expect):
    assert items(text) == expect
