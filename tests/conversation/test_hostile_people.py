"""Hostile people: markup and SQL in reports shown back unchanged and harmless; committee commands
refused to heads and strangers; a flood from one person throttles replies, never the webhook, and
loses no report."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import clock
from bot.storage.db import session_scope
from bot.storage.models import InboundEvent, Organization, Report
from tests.faults.helpers import HEADS, STRANGER, count, sent, stored

# Every test here runs in this process on the example's day, so "today" cannot turn mid-test.
pytestmark = pytest.mark.usefixtures("example_day")

NASTY = ("qua 5, mau 2 {{ 7*7 }} {% for x in range(3) %}X{% endfor %} <script>alert(1)</script> "
         "'; DROP TABLE reports; -- ${7*7} #{7*7} %(x)s {0.__class__}")


def _today():
    return clock.now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def test_markup_and_sql_in_a_report_are_stored_and_shown_unchanged(settings, org, chat):
    answer = chat.ask(HEADS[0], NASTY)
    assert "5 suất" in answer
    assert "49" not in answer and "XXX" not in answer  # nothing was evaluated
    # more figures than items: the bot is not sure and asks before counting; the head confirms
    assert answer.startswith("❓ Tôi hiểu là: Quà 5 suất; Máu 2 đơn vị. Đúng không?")
    confirmed = chat.ask(HEADS[0], "đúng")
    assert "• Quà: 5 suất" in confirmed and "49" not in confirmed and "XXX" not in confirmed
    with session_scope(settings.database_url) as s:
        raw = s.scalar(select(Report.raw_text))
    assert raw == NASTY
    # what the head sees of it later, and what the committee sees
    mine = chat.ask(HEADS[0], "xem")
    assert "49" not in mine and "XXX" not in mine
    from bot.digest.jobs import compose
    from bot.reporting.xlsx import build_workbook

    with session_scope(settings.database_url) as s:
        o = s.scalar(select(Organization).where(Organization.code == org))
        digest, _facts = compose(s, o, _today(), clock.now())
        wb = build_workbook(s, o, _today(), _today())
    assert "49" not in digest and "XXX" not in digest
    assert "• Quà: 5 suất" in digest and "• Máu: 2 đơn vị" in digest
    cells = [c for row in wb.worksheets[-1].iter_rows() for c in row if c.value == NASTY]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert count(settings, Report) == 1  # the table is still there
    print(f"hostile text: stored={count(settings, Report)} replies={len(sent(chat.zalo, HEADS[0]))}")


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil.example\",\"bấm\") qua 3", "=1+1 qua 4", "@SUM(A1) qua 2"])
def test_a_report_that_looks_like_a_formula_stays_text_in_the_export(settings, org, chat, text):
    chat.ask(HEADS[1], text)
    from bot.reporting.xlsx import build_workbook

    with session_scope(settings.database_url) as s:
        o = s.scalar(select(Organization).where(Organization.code == org))
        wb = build_workbook(s, o, _today(), _today())
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == text]
    # once, in the reports sheet's message column, as text
    assert [(c.parent.title, c.data_type) for c in cells] == [("Báo cáo", "s")], [(c.value, c.data_type) for c in cells]


COMMITTEE_COMMANDS = ["tổng", "chưa báo cáo", "chỉ tiêu", "xuất", "chi hội", "mời 0912345678", "nhắc"]


@pytest.mark.parametrize("command", COMMITTEE_COMMANDS)
def test_committee_commands_are_refused_to_heads_and_strangers(command, settings, org, chat):
    head = chat.ask(HEADS[2], command)
    stranger = chat.ask(STRANGER, command)
    # A head is on no committee: every committee command gets the one refusal, never the admin one.
    assert "dành cho Ban Thường vụ." in head and "quản trị viên" not in head, head
    assert "chưa gắn với chi hội" in stranger, stranger
    # no data leaked: no figure, no chapter name other than their own
    assert "Nhị Dinh 1" not in head and "Nhị Dinh" not in stranger and ".xlsx" not in head + stranger
    assert count(settings, Report) == 0


@pytest.mark.fault  # 1,000 messages through the whole pipeline: about two minutes
def test_a_flood_from_one_person_throttles_replies_not_the_webhook(settings, org, chat, zalo):
    limit = settings.reply_limit_per_minute
    statuses = Counter(chat.say(HEADS[3], f"qua {i + 1}, mau 1")["status"] for i in range(1000))
    assert statuses == {200: 1000}  # the webhook is never throttled
    chat.work()
    events, reports = stored(settings)
    with session_scope(settings.database_url) as s:
        minutes = Counter(int(t.timestamp()) // 60 for t in s.scalars(select(InboundEvent.received_at)))
    expected = sum(min(n, limit) + (n > limit) for n in minutes.values())
    replies = sent(zalo, HEADS[3])
    throttled = sum("tạm ngừng trả lời" in m["text"] for m in replies)
    print(f"hostile flood: webhook={dict(statuses)} stored={events}/{reports} replies={len(replies)} "
          f"throttle_notices={throttled} minutes={len(minutes)} limit={limit}")
    assert (events, reports) == (1000, 1000)
    assert len(replies) == expected and throttled == sum(n > limit for n in minutes.values())
