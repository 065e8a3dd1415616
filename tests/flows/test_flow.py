"""The whole pipeline on real parts: simulator → signed webhook → Redis/RQ → worker → DB → reply."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import func, select

from bot.storage.db import session_scope
from bot.storage.models import InboundEvent, OutboundMessage, Report, ReportItem

HEAD = "7002000000000000001"  # head of Chi hội thôn Nhị Dinh 1
STRANGER = "7999000000000000042"


def count(settings, model, *where) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def items(settings) -> list[tuple]:
    with session_scope(settings.database_url) as s:
        rows = s.execute(select(ReportItem.indicator, ReportItem.quantity, ReportItem.value_vnd).order_by(ReportItem.id))
        return [tuple(r) for r in rows]


def test_head_report_is_stored_once_and_confirmed_quoting_the_message(settings, org, chat):
    result = chat.say(HEAD, "qua 20 tri gia 10tr, mau 8, hv moi 5")
    assert result["status"] == 200
    assert result["latency_ms"] < 2000  # Zalo's acknowledgement limit
    chat.work()
    assert count(settings, Report) == 1
    assert items(settings) == [("gifts", 20, 10_000_000), ("blood_units", 8, None), ("new_members", 5, None)]
    sent = chat.sent(HEAD)
    assert len(sent) == 1
    reply = sent[0]
    assert reply["channel"] == "oa"
    assert reply["quote_message_id"] == result["msg_id"]
    text = reply["text"]
    assert "Chi hội thôn Nhị Dinh 1" in text
    assert "20 suất" in text and "10.000.000 đ" in text
    assert "Máu: 8" in text and "Hội viên mới: 5" in text
    assert "huỷ" in text  # always a next step


def test_same_event_delivered_three_times_gives_one_report_and_one_reply(settings, org, chat):
    first = chat.say(HEAD, "mau 8", msg_id="aaaabbbbccccdddd0001", duplicate=True)
    again = chat.say(HEAD, "mau 8", msg_id="aaaabbbbccccdddd0001")
    assert first["statuses"] == [200, 200] and again["status"] == 200
    chat.work()
    chat.say(HEAD, "mau 8", msg_id="aaaabbbbccccdddd0001")  # after the job ran, too
    chat.work()
    assert count(settings, Report) == 1
    assert count(settings, InboundEvent) == 1
    assert len(chat.sent(HEAD)) == 1


def test_same_event_delivered_in_parallel_gives_one_report_and_one_reply(settings, org, chat):
    statuses = []

    def deliver():
        statuses.append(chat.say(HEAD, "qua 3", msg_id="aaaabbbbccccdddd0002", retries=3)["status"])

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    chat.work()
    assert count(settings, Report) == 1
    assert len(chat.sent(HEAD)) == 1


def test_forged_signature_is_refused_nothing_stored_no_reply(settings, org, chat):
    result = chat.say(HEAD, "qua 99", signature="wrong_secret")
    assert result["status"] == 401
    chat.work()
    assert count(settings, InboundEvent) == 0 and count(settings, Report) == 0
    assert chat.sent() == []


def test_unknown_sender_is_told_how_to_register(settings, org, chat):
    answer = chat.ask(STRANGER, "qua 20")
    assert "chưa gắn với chi hội" in answer and "đk" in answer
    assert count(settings, Report) == 0


def test_text_without_figures_gets_a_hint_and_no_report(settings, org, chat):
    answer = chat.ask(HEAD, "chào anh, hôm nay trời đẹp quá")
    assert "Chưa thấy số liệu" in answer and "qua 20 tri gia 10tr" in answer
    assert count(settings, Report) == 0


def test_help_lists_examples_for_a_head(settings, org, chat):
    answer = chat.ask(HEAD, "/Giúp")
    assert "Cách báo cáo" in answer and "huỷ" in answer


def test_follow_gets_a_welcome(settings, org, chat, zalo):
    resp = requests.post(f"{zalo.url}/__fake/deliver", json={"user_id": STRANGER, "event_name": "follow"}, timeout=5)
    assert resp.json()["status"] == 200
    chat.work()
    sent = chat.sent(STRANGER)
    assert len(sent) == 1 and "đk" in sent[0]["text"]


def test_image_without_text_is_answered_not_ignored(settings, org, chat, zalo):
    resp = requests.post(f"{zalo.url}/__fake/deliver", json={"user_id": HEAD, "event_name": "user_send_image"}, timeout=5)
    assert resp.json()["status"] == 200
    chat.work()
    assert "gõ số liệu" in chat.sent(HEAD)[0]["text"]


def test_head_of_two_chapters_is_asked_which_then_recorded(settings, org, chat):
    teacher = "7002000000000000004"  # heads Nông Sơn 1 and THCS
    question = chat.ask(teacher, "qua 5")
    assert "chi hội nào" in question and "THCS" in question
    assert count(settings, Report) == 0
    answer = chat.ask(teacher, "thcs")
    assert "Chi hội trường THCS" in answer and "5 suất" in answer
    assert count(settings, Report) == 1
    prefixed = chat.ask(teacher, "NONGSON1: mau 4")
    assert "Nông Sơn 1" in prefixed and count(settings, Report) == 2


def test_reply_outbox_records_each_sent_message(settings, org, chat):
    chat.ask(HEAD, "mau 2")
    with session_scope(settings.database_url) as s:
        rows = s.scalars(select(OutboundMessage)).all()
        assert [r.status for r in rows] == ["sent"]
        assert [rows[0].zalo_message_id] == [m["message_id"] for m in chat.sent(HEAD)]  # Zalo's id for it


def test_head_only_command_from_a_committee_member_is_refused_politely(settings, org, chat):
    member = "7001000000000000003"
    answer = chat.ask(member, "huỷ")
    assert "dành cho chi hội trưởng" in answer
    assert "Ban Thường vụ" not in answer


def test_report_that_starts_with_a_command_word_is_recorded_for_a_head(settings, org, chat):
    answer = chat.ask(HEAD, "Tổng cộng trao 20 suất quà, trị giá 6 triệu")
    assert "Đã ghi nhận" in answer and "20 suất" in answer and "6.000.000 đ" in answer
    assert count(settings, Report) == 1
