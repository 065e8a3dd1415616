"""Weekly reminders: heads with no report this week get one nudge while Zalo's window allows;
admins get the heads who could not be reached. The admin command ``nhắc`` does it at once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from rq import Queue

from bot import clock
from bot.digest.jobs import tick
from bot.runtime import SCHEDULED_QUEUE
from bot.storage.db import session_scope
from tests.digest.helpers import (
    ADMINS,
    COMMITTEE,
    MEMBER,
    add_report,
    days_ago_ms,
    local,
    org_and_chapters,
    sent,
    set_inbound,
    set_org,
    sim_users,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HEADS = [f"70020000000000000{n:02d}" for n in range(1, 12)]
STALE_IN_DB = HEADS[6]  # Phong Nhị: we know they have been silent for 8 days
STALE_AT_ZALO = HEADS[8]  # Mầm non: we think they are fine, Zalo answers -230
TWO_CHAPTERS = HEADS[3]  # heads Nông Sơn 1 and THCS


def _setup(settings, org, zalo):
    now = clock.now()
    today = now.astimezone(VN).date()
    set_org(settings.database_url, org, reminder_weekday=today.weekday(), reminder_time="00:00",
            digest_time="23:59")
    with session_scope(settings.database_url) as session:
        o, chapters = org_and_chapters(session, org)
        add_report(session, o, chapters[0], local(today, 0, 0), [("gifts", 2, None)])  # Nhị Dinh 1
        add_report(session, o, chapters[1], local(today, 0, 5), [("blood_units", 1, None)])  # Nhị Dinh 2
    set_inbound(settings.database_url, HEADS + list(COMMITTEE), now - timedelta(hours=3))
    set_inbound(settings.database_url, [STALE_IN_DB], now - timedelta(days=8))
    sim_users(zalo, HEADS + list(COMMITTEE))
    sim_users(zalo, [STALE_AT_ZALO], last_interaction=days_ago_ms(8))
    return today


def _texts(zalo, uid):
    return [m["text"] for m in sent(zalo, user_id=uid) if m.get("text")]


def test_scheduled_reminders_nudge_once_and_tell_admins(settings, org, zalo, rconn, work):
    today = _setup(settings, org, zalo)
    assert tick() == f"reminder:{org}:{today.isoformat()}"
    work()

    assert _texts(zalo, HEADS[0]) == [] and _texts(zalo, HEADS[1]) == []  # reported this week
    assert _texts(zalo, STALE_IN_DB) == [] and _texts(zalo, STALE_AT_ZALO) == []
    for uid in (HEADS[2], HEADS[4], HEADS[5], HEADS[7], HEADS[9], HEADS[10]):
        texts = _texts(zalo, uid)
        assert len(texts) == 1 and "chưa nhận được báo cáo" in texts[0], uid
    both = _texts(zalo, TWO_CHAPTERS)
    assert len(both) == 1 and "Chi hội thôn Nông Sơn 1, Chi hội trường THCS" in both[0]
    for admin in ADMINS:
        notes = _texts(zalo, admin)
        assert len(notes) == 1
        assert "Chi hội thôn Phong Nhị" in notes[0] and "Chi hội trường Mầm non" in notes[0]
        assert "gọi điện" in notes[0]
    assert _texts(zalo, MEMBER) == []

    # More ticks and a duplicate job the same day: nobody hears twice.
    total = len(sent(zalo))
    assert tick() == "nothing due"
    Queue(SCHEDULED_QUEUE, connection=rconn).enqueue("bot.digest.reminders.send_reminders", org, today.isoformat())
    work()
    assert len(sent(zalo)) == total


def test_admin_command_nhac_reminds_at_once(settings, org, zalo, chat):
    _setup(settings, org, zalo)
    answer = chat.ask(ADMINS[0], "nhắc")
    assert "Đã nhắc 8 chi hội trưởng" in answer  # Mầm non is refused by Zalo only when sent
    assert "Chi hội thôn Phong Nhị" in answer  # known beforehand: could not be reached
    for uid in (HEADS[2], TWO_CHAPTERS, HEADS[10]):
        texts = _texts(zalo, uid)
        assert len(texts) == 1 and "chưa nhận được báo cáo" in texts[0]
    assert _texts(zalo, STALE_IN_DB) == []
    assert _texts(zalo, HEADS[0]) == []


def test_nhac_is_for_admins_only(settings, org, zalo, chat):
    _setup(settings, org, zalo)
    answer = chat.ask(MEMBER, "nhac")
    assert answer == ('Lệnh "nhắc" chỉ dành cho quản trị viên của Ban Thường vụ. '
                      'Anh/chị nhắn "giúp" để xem các lệnh mình dùng được.')
    assert _texts(zalo, HEADS[2]) == []
