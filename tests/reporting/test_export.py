"""The period's workbook: read back with openpyxl, it equals SQL sums; the signed link and the CLI."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from openpyxl import load_workbook
from sqlalchemy import text

from bot import clock
from bot.parsing import default_catalog
from bot.reporting.xlsx import SALT, columns, make_token
from bot.storage.db import session_scope

ADMIN = "7001000000000000001"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# The example organization's 2026 targets are read here: every test runs on its day.
pytestmark = pytest.mark.usefixtures("example_day")
ORG = "ctd-dienphuoc"


def today() -> date:
    """The local day on our clock, which the ``example_day`` fixture fixes for every test here."""
    return clock.now().astimezone(VN).date()


def sql_sums(settings, start: date, end: date) -> dict[tuple[str, str, str], int]:
    """(chapter code, indicator, quantity|value_vnd) -> sum over active reports in the period."""
    sql = """
        SELECT c.code, i.indicator, COALESCE(SUM(i.quantity), 0), COALESCE(SUM(i.value_vnd), 0)
        FROM report_items i JOIN reports r ON r.id = i.report_id JOIN chapters c ON c.id = r.chapter_id
        WHERE r.status = 'active' AND r.report_date BETWEEN :start AND :end
        GROUP BY c.code, i.indicator
    """
    out = {}
    with session_scope(settings.database_url) as s:
        for code, ind, q, v in s.execute(text(sql), {"start": start, "end": end}):
            out[(code, ind, "quantity")] = int(q)
            out[(code, ind, "value_vnd")] = int(v)
    return out


def sheet_figures(wb) -> tuple[dict, dict]:
    """((chapter code, indicator, kind) -> figure, label -> row values) from the summary sheet."""
    ws = wb["Tổng hợp"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Mã")
    cols = columns(default_catalog())
    assert list(rows[header_at][2:]) == [c.header for c in cols]
    figures, labelled = {}, {}
    for row in rows[header_at + 1 :]:
        if row[0]:
            for col, value in zip(cols, row[2:], strict=True):
                figures[(row[0], col.indicator, col.kind)] = value
        else:
            labelled[row[1]] = dict(zip([(c.indicator, c.kind) for c in cols], row[2:], strict=True))
    return figures, labelled


@pytest.fixture
def activity(chat, org):
    chat.ask("7002000000000000001", "qua 20 tri gia 10tr, mau 8")
    chat.ask("7002000000000000001", "hôm qua hiến máu được 12 đơn vị")
    chat.ask("7002000000000000002", "qua 5, hv moi 3, van dong 2tr5")
    chat.ask("7002000000000000002", "sửa qua 6, hv moi 3, van dong 3tr")
    chat.ask("7002000000000000003", "hoc bong 4 suat 1tr/suat")
    chat.ask("7002000000000000003", "huỷ")
    chat.ask("7002000000000000004", "THCS: so cap cuu 30")
    chat.ask("7002000000000000005", "mau 8")
    chat.ask("7002000000000000005", "mau 8")  # a near-duplicate left pending: not counted
    return chat


def fetch(client, settings, start: date, end: date):
    resp = client.get(f"/exports/{make_token(settings.secret_key, ORG, start, end)}")
    assert resp.status_code == 200
    return load_workbook(io.BytesIO(resp.data))


def test_workbook_equals_sql_sums(activity, client, settings):
    start = today() - timedelta(days=6)
    wb = fetch(client, settings, start, today())
    figures, labelled = sheet_figures(wb)
    expected = sql_sums(settings, start, today())
    chapters = {code for code, _, _ in figures}
    assert len(chapters) == 12
    for key, value in figures.items():
        assert value == expected.get(key, 0), key
    totals = labelled["Tổng cộng"]
    for (ind, kind), value in totals.items():
        assert value == sum(v for (c, i, k), v in expected.items() if (i, k) == (ind, kind)), (ind, kind)
    assert totals[("blood_units", "quantity")] == 28
    assert totals[("gifts", "quantity")] == 26 and totals[("gifts", "value_vnd")] == 10_000_000
    assert totals[("funds_raised", "value_vnd")] == 3_000_000
    assert totals[("scholarships", "quantity")] == 0
    # the year's targets and % achieved
    year = today().year
    target = labelled[f"Chỉ tiêu năm {year}"]
    assert target[("gifts", "quantity")] == 360 and target[("new_members", "quantity")] == 260
    assert target[("funds_raised", "value_vnd")] == 120_000_000 and target[("gifts", "value_vnd")] is None
    ytd = labelled[f"Luỹ kế năm {year} (đến {today():%d/%m/%Y})"]
    ytd_sql = sql_sums(settings, date(year, 1, 1), today())
    assert ytd[("blood_units", "quantity")] == sum(v for (c, i, k), v in ytd_sql.items() if (i, k) == ("blood_units", "quantity"))
    pct = labelled["% đạt chỉ tiêu"]
    assert pct[("gifts", "quantity")] == pytest.approx(ytd[("gifts", "quantity")] / 360)


def test_a_one_day_period_leaves_out_yesterday(activity, client, settings):
    figures, labelled = sheet_figures(fetch(client, settings, today(), today()))
    expected = sql_sums(settings, today(), today())
    assert len({code for code, _, _ in figures}) == 12  # every chapter's row: all() below is not vacuous
    assert all(v == expected.get(k, 0) for k, v in figures.items())
    assert labelled["Tổng cộng"][("blood_units", "quantity")] == 16
    figures, labelled = sheet_figures(fetch(client, settings, today() - timedelta(days=1), today() - timedelta(days=1)))
    assert labelled["Tổng cộng"][("blood_units", "quantity")] == 12


def test_reports_sheet_lists_every_report_with_status_and_history(activity, client, settings):
    wb = fetch(client, settings, today() - timedelta(days=6), today())
    rows = list(wb["Báo cáo"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:7] == ("Mã BC", "Ngày", "Chi hội", "Người báo cáo", "Nội dung tin nhắn", "Số liệu", "Trạng thái")
    with session_scope(settings.database_url) as s:
        count = s.execute(text("SELECT COUNT(*) FROM reports")).scalar()
    assert len(body) == count == 8
    by_status = {}
    for row in body:
        by_status.setdefault(row[6], []).append(row)
    assert {k: len(v) for k, v in by_status.items()} == {"Đang tính": 5, "Đã được sửa": 1, "Đã huỷ": 1, "Chờ xác nhận": 1}
    [replaced] = by_status["Đã được sửa"]
    assert replaced[4] == "qua 5, hv moi 3, van dong 2tr5" and "sửa lúc" in replaced[9] and "thay bằng BC" in replaced[9]
    correction = next(r for r in body if r[7] == replaced[0])
    assert correction[6] == "Đang tính" and "Suất quà: 6 suất" in correction[5]
    [cancelled] = by_status["Đã huỷ"]
    assert "huỷ lúc" in cancelled[9] and "4.000.000 đ" in cancelled[5]
    assert {r[1] for r in body} == {f"{today():%d/%m/%Y}", f"{today() - timedelta(days=1):%d/%m/%Y}"}


def test_cli_export_writes_the_same_workbook(activity, app, settings, tmp_path):
    out = tmp_path / "bao-cao.xlsx"
    start, end = today() - timedelta(days=30), today()
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask --app app export` runs it
        result = runner.invoke(
            args=["export", "--org", ORG, "--from", start.isoformat(), "--to", end.isoformat(), "--out", str(out)]
        )
        bad = runner.invoke(args=["export", "--org", "nope", "--from", "2026-01-01", "--to", "2026-01-31", "--out", str(out)])
    assert result.exit_code == 0, result.output
    figures, labelled = sheet_figures(load_workbook(out))
    expected = sql_sums(settings, start, end)
    assert len({code for code, _, _ in figures}) == 12  # every chapter's row: all() below is not vacuous
    assert all(v == expected.get(k, 0) for k, v in figures.items())
    assert labelled["Tổng cộng"][("blood_units", "quantity")] == 28
    assert (bad.exit_code, bad.output) == (1, "Error: unknown organization 'nope'\n")


class _Yesterday(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 25 * 3600


def test_links_expire_after_a_day_and_forged_ones_fail(client, settings, org):
    old = URLSafeTimedSerializer(settings.secret_key, salt=SALT, signer=_Yesterday).dumps(
        {"org": ORG, "from": "2026-11-01", "to": "2026-11-30"}
    )
    resp = client.get(f"/exports/{old}")
    assert resp.status_code == 410 and "hết hạn" in resp.get_data(as_text=True)
    forged = make_token("another-secret", ORG, date(2026, 11, 1), date(2026, 11, 30))
    assert client.get(f"/exports/{forged}").status_code == 404
    assert client.get(f"/exports/{make_token(settings.secret_key, 'nope', date(2026, 11, 1), date(2026, 11, 30))}").status_code == 404
