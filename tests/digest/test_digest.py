"""The digest's numbers against independent SQL sums, day boundaries in Asia/Ho_Chi_Minh,
and the text as people read it."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select, text

from bot import clock
from bot.digest.build import build_digest, pace, render_digest, short_name
from bot.digest.build import year_percent as year_share
from bot.digest.facts import Facts, Figure, OrgInfo, gather_facts, local_bounds
from bot.digest.jobs import compose
from bot.render import number, vnd
from bot.storage.db import get_engine, session_scope
from bot.storage.models import Organization
from bot.zalo.split import split_message, utf16_len
from tests.digest.helpers import add_change, add_report, local, org_and_chapters, seed_month, sql_sums

DAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)  # 20:00 in Vietnam


# What seed_month(…, 2026, 11) leaves active for the day, the month and the year to DAY.
WANT_INDICATORS = {
    DAY: {"gifts", "blood_units"},
    date(2026, 11, 1): {"gifts", "blood_units", "new_members", "funds_raised", "volunteers"},
    date(2026, 1, 1): {"gifts", "blood_units", "new_members", "funds_raised", "volunteers"},
}


def _facts(db_url, code, day=DAY):
    with session_scope(db_url) as session:
        org = session.scalar(select(Organization).where(Organization.code == code))
        facts = gather_facts(session, org, day, NOW)
        text_, _ = compose(session, org, day, NOW)
        return facts, text_


def test_digest_numbers_equal_sql_sums(settings, org):
    seed_month(settings.database_url, org, 2026, 11)
    facts, text_ = _facts(settings.database_url, org)

    for got, first in ((facts.today, DAY), (facts.month, date(2026, 11, 1)), (facts.year, date(2026, 1, 1))):
        want = sql_sums(settings.database_url, org, first, DAY)
        assert set(want) == WANT_INDICATORS[first]  # the seeded month: the loop below checks them all
        assert set(got) == set(want)
        for indicator, (q, v) in want.items():
            assert got[indicator].quantity == q, indicator
            assert got[indicator].value_vnd == v, indicator

    with get_engine(settings.database_url).connect() as conn:
        reported = conn.execute(text(
            "SELECT COUNT(DISTINCT chapter_id) FROM reports WHERE status='active' AND report_date=:d"),
            {"d": DAY}).scalar()
        target_sums = dict(conn.execute(text(
            "SELECT indicator, SUM(target) FROM targets WHERE year=2026 GROUP BY indicator")).all())
    assert facts.reported_today == reported
    assert facts.targets == target_sums
    # The chapter lines add up to the day's totals.
    for indicator, fig in facts.today.items():
        parts = [c.figures[indicator] for c in facts.today_by_chapter if indicator in c.figures]
        assert sum(p.quantity or 0 for p in parts) == (fig.quantity or 0)
        assert sum(p.value_vnd or 0 for p in parts) == (fig.value_vnd or 0)  # value-only figures too

    # What people read carries the same numbers.
    gifts = facts.today["gifts"]
    assert f"Hôm nay, {reported}/12 chi hội báo cáo:" in text_
    money = f", {vnd(gifts.value_vnd)}" if gifts.value_vnd else ""
    assert f"• Quà: {number(gifts.quantity)} suất{money}\n" in text_
    assert f"• Máu: {number(facts.today['blood_units'].quantity)} đơn vị" in text_
    month_gifts = facts.month["gifts"]
    assert f"Tháng 11: quà {number(month_gifts.quantity)} suất ({vnd(month_gifts.value_vnd)})" in text_
    assert f"• Quà {number(facts.year['gifts'].quantity)}/{number(target_sums['gifts'])} suất:" in text_
    assert f"• Vận động {number(facts.year['funds_raised'].value_vnd)}/{number(target_sums['funds_raised'])} đ:" in text_
    assert "đã qua 89% thời gian" in text_
    assert len(text_) <= 2000


def test_day_boundaries_in_ho_chi_minh(settings, org):
    """21/11 counts 00:00 to 23:59 local (= 20/11 17:00 to 21/11 16:59 UTC), nothing else."""
    with session_scope(settings.database_url) as session:
        o, chapters = org_and_chapters(session, org)
        a, b = chapters[0], chapters[1]
        # (sent at, gifts): powers of ten tell which reports were counted.
        add_report(session, o, a, local(date(2026, 11, 20), 23, 59), [("gifts", 1, None)])
        first = add_report(session, o, a, local(DAY, 0, 0), [("gifts", 10, None)])
        last = add_report(session, o, b, local(DAY, 23, 59), [("gifts", 100, None)])
        add_report(session, o, b, local(date(2026, 11, 22), 0, 0), [("gifts", 1000, None)])
        # Corrections and cancellations of the day, by their instant.
        add_change(session, first, "cancel", local(date(2026, 11, 20), 23, 59))
        add_change(session, first, "correct", local(DAY, 0, 0))
        add_change(session, last, "cancel", local(DAY, 23, 59))
        add_change(session, last, "cancel", local(date(2026, 11, 22), 0, 0))
    assert local(DAY, 0, 0) == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert local_bounds(DAY, "Asia/Ho_Chi_Minh") == (datetime(2026, 11, 20, 17, tzinfo=UTC),
                                                      datetime(2026, 11, 21, 17, tzinfo=UTC))

    facts, text_ = _facts(settings.database_url, org)
    assert facts.today["gifts"].quantity == 110
    assert facts.reported_today == 2
    assert facts.month["gifts"].quantity == 111
    assert {(c.chapter, c.action, c.count) for c in facts.changes} == {
        ("Chi hội thôn Nhị Dinh 1", "correct", 1), ("Chi hội thôn Nhị Dinh 2", "cancel", 1)}
    assert "• Quà: 110 suất" in text_
    assert "Sửa/huỷ hôm nay: Nhị Dinh 1 sửa 1 báo cáo; Nhị Dinh 2 huỷ 1 báo cáo" in text_
    assert _facts(settings.database_url, org, date(2026, 11, 22))[0].today["gifts"].quantity == 1000
    assert _facts(settings.database_url, org, date(2026, 11, 20))[0].today["gifts"].quantity == 1


def test_silent_pending_and_unreachable(settings, org):
    from tests.digest.helpers import MEMBER, set_inbound

    with session_scope(settings.database_url) as session:
        o, chapters = org_and_chapters(session, org)
        for chapter in chapters[:10]:  # reported within the last 7 days
            add_report(session, o, chapter, local(DAY - timedelta(days=6), 9), [("blood_units", 1, None)])
        add_report(session, o, chapters[10], local(DAY - timedelta(days=7), 9), [("blood_units", 1, None)])
        add_report(session, o, chapters[0], local(DAY, 8), [("gifts", 3, None)], status="pending")
    set_inbound(settings.database_url, [MEMBER], NOW - timedelta(days=8))  # the digest's "now", not today's
    facts, text_ = _facts(settings.database_url, org)
    assert facts.silent == ["Chi hội trường Tiểu học số 2", "Chi hội trường THCS"]
    assert facts.pending == [("Chi hội thôn Nhị Dinh 1", 1)]
    assert "Chưa báo cáo 7 ngày qua: Tiểu học số 2, THCS" in text_
    assert "Chờ chi hội xác nhận: Nhị Dinh 1 (1 báo cáo)" in text_
    assert "Hôm nay chưa chi hội nào báo cáo (0/12)." in text_
    assert "quá 7 ngày không nhắn OA): Lê Văn Cường" in text_


def test_pure_helpers():
    assert short_name("Chi hội thôn Nhị Dinh 1") == "Nhị Dinh 1"
    assert short_name("Chi hội trường Mầm non") == "Mầm non"
    assert year_share(date(2026, 12, 31)) == 100
    assert year_share(date(2026, 11, 21)) == 89
    assert pace(89, 89) == "ok" and pace(88, 89) == "" and pace(71, 89) == "slow" and pace(100, 50) == "done"


ORG = OrgInfo(1, "x", "Hội Chữ thập đỏ xã Điện Phước", "Asia/Ho_Chi_Minh", "fanout", None)
figures = st.dictionaries(
    st.sampled_from(["gifts", "blood_units", "new_members", "funds_raised", "houses", "custom_x"]),
    st.builds(Figure, st.one_of(st.none(), st.integers(0, 10**6)), st.one_of(st.none(), st.integers(0, 10**10))),
    max_size=6)


@hsettings(max_examples=60, deadline=None)
@given(today=figures, month=figures, n=st.integers(0, 60), names=st.text(min_size=1, max_size=40))
def test_any_digest_renders_and_splits_within_zalo_limits(today, month, n, names):
    from bot.digest.facts import Change, ChapterFigures

    facts = Facts(day=DAY, chapters_total=n, reported_today=min(n, 3), today=today, month=month, year=month,
                  today_by_chapter=[ChapterFigures(i, f"C{i}", f"Chi hội thôn {names} {i}", today) for i in range(n)],
                  month_by_chapter=[], targets={"gifts": 360, "funds_raised": 10**8}, targets_by_chapter={},
                  silent=[f"{names} {i}" for i in range(n)], changes=[Change(names, "cancel", 2)],
                  pending=[(names, 1)], unreachable=[names])
    text_ = render_digest(build_digest(ORG, DAY, facts, NOW))
    assert text_.startswith("📋 Hội Chữ thập đỏ xã Điện Phước: tổng hợp ngày 21/11/2026")
    parts = split_message(text_)
    assert parts[0].startswith("📋 Hội Chữ thập đỏ xã Điện Phước: tổng hợp ngày 21/11/2026")
    fits = utf16_len(unicodedata.normalize("NFC", text_)) <= 2000  # as split_message measures it
    assert len(parts) == 1 if fits else len(parts) > 1
    for part in parts:
        assert len(part) <= 2000


def test_flask_digest_command_prints_and_sends_once(app, settings, org, zalo):
    from tests.digest.helpers import COMMITTEE, sent, set_inbound, sim_users

    seed_month(settings.database_url, org, 2026, 11)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["digest", "--org", org, "--date", "2026-11-21"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("📋 Hội Chữ thập đỏ xã Điện Phước: tổng hợp ngày 21/11/2026")
    assert sent(zalo) == []

    set_inbound(settings.database_url, COMMITTEE, clock.now())
    sim_users(zalo, COMMITTEE)
    for _ in range(2):  # the second --send finds the day's digest done
        result = runner.invoke(args=["digest", "--org", org, "--date", "2026-11-21", "--send"])
        assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "-- already sent"
    for uid in COMMITTEE:
        assert sum((m.get("text") or "").startswith("📋") for m in sent(zalo, user_id=uid)) == 1

    result = runner.invoke(args=["digest", "--org", "nope", "--date", "2026-11-21"])
    assert (result.exit_code, result.output) == (1, "Error: unknown organization 'nope'\n")


def test_chart_is_a_small_png(settings, org):
    from bot.digest.chart import chart_png

    seed_month(settings.database_url, org, 2026, 11)
    facts, _ = _facts(settings.database_url, org)
    png = chart_png(facts, "Hội Chữ thập đỏ xã Điện Phước: tháng 11/2026")
    assert png is not None and png.startswith(b"\x89PNG") and len(png) <= 1024 * 1024
