"""bot.periods: Vietnamese period words -> inclusive date ranges, with and without diacritics."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.periods import last_days, parse_period, year_share

TODAY = date(2026, 11, 21)  # a Saturday


@pytest.mark.parametrize(
    "text, start, end, label",
    [
        ("hôm nay", date(2026, 11, 21), date(2026, 11, 21), "hôm nay, 21/11/2026"),
        ("hom nay", date(2026, 11, 21), date(2026, 11, 21), "hôm nay, 21/11/2026"),
        ("Hôm qua", date(2026, 11, 20), date(2026, 11, 20), "hôm qua, 20/11/2026"),
        ("tuần này", date(2026, 11, 16), date(2026, 11, 22), "tuần này (16/11/2026–22/11/2026)"),
        ("tuan truoc", date(2026, 11, 9), date(2026, 11, 15), "tuần trước (09/11/2026–15/11/2026)"),
        ("tháng này", date(2026, 11, 1), date(2026, 11, 30), "tháng 11/2026"),
        ("thang truoc", date(2026, 10, 1), date(2026, 10, 31), "tháng 10/2026"),
        ("tháng 2", date(2026, 2, 1), date(2026, 2, 28), "tháng 2/2026"),
        ("tháng 12/2025", date(2025, 12, 1), date(2025, 12, 31), "tháng 12/2025"),
        ("quý 3", date(2026, 7, 1), date(2026, 9, 30), "quý 3/2026"),
        ("QUY IV", date(2026, 10, 1), date(2026, 12, 31), "quý 4/2026"),
        ("6 tháng đầu năm", date(2026, 1, 1), date(2026, 6, 30), "6 tháng đầu năm 2026"),
        ("6 thang cuoi nam", date(2026, 7, 1), date(2026, 12, 31), "6 tháng cuối năm 2026"),
        ("6 tháng đầu năm 2025", date(2025, 1, 1), date(2025, 6, 30), "6 tháng đầu năm 2025"),
        ("quý 2 2025", date(2025, 4, 1), date(2025, 6, 30), "quý 2/2025"),
        ("năm nay", date(2026, 1, 1), date(2026, 12, 31), "năm 2026"),
        ("nam 2025", date(2025, 1, 1), date(2025, 12, 31), "năm 2025"),
        ("năm ngoái", date(2025, 1, 1), date(2025, 12, 31), "năm 2025"),
        ("7 ngày qua", date(2026, 11, 15), date(2026, 11, 21), "7 ngày qua (15/11/2026–21/11/2026)"),
        ("15/11", date(2026, 11, 15), date(2026, 11, 15), "ngày 15/11/2026"),
        ("  Tháng   Này ", date(2026, 11, 1), date(2026, 11, 30), "tháng 11/2026"),
    ],
)
def test_known_periods(text, start, end, label):
    period = parse_period(text, TODAY)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize("text", ["", "abc", "tháng 13", "quý 5", "31/2", "năm 1850", "tuần sau nữa"])
def test_unknown_or_impossible_periods_give_none(text):
    assert parse_period(text, TODAY) is None


def test_february_of_a_leap_year_and_december_rollover():
    assert parse_period("tháng 2", date(2028, 5, 1)).end == date(2028, 2, 29)
    assert parse_period("tháng trước", date(2027, 1, 5)).label == "tháng 12/2026"
    assert parse_period("tuần này", date(2026, 11, 16)).start == date(2026, 11, 16)  # Monday


def test_year_share():
    assert year_share(date(2026, 12, 31)) == 1
    assert year_share(date(2026, 1, 1)) == pytest.approx(1 / 365)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)))
def test_every_relative_period_contains_sensible_days(today):
    for text in ("hôm nay", "tuần này", "tháng này", "quý 1", "năm nay", "6 tháng đầu năm"):
        period = parse_period(text, today)
        assert period.start <= period.end
    assert today in parse_period("tuần này", today)
    assert today in parse_period("tháng này", today)
    assert today in parse_period("năm nay", today)
    assert parse_period("tuần trước", today).end == parse_period("tuần này", today).start - timedelta(days=1)
    assert last_days(today).days == 7
