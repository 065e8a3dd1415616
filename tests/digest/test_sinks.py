"""The three digest sinks on the Zalo simulator over HTTP: fanout (with Zalo's 7-day window),
the OA's GMF group (-403, -237) and a Zalo Bot group; the chart after the text."""

from __future__ import annotations

from datetime import timedelta

import requests
from rq import Queue
from sqlalchemy import select

from bot import clock
from bot.runtime import SCHEDULED_QUEUE
from bot.storage.db import session_scope
from bot.storage.models import DigestLog, Identity
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
    targets_for_year,
)


def _today():
    from zoneinfo import ZoneInfo

    return clock.now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _seed_today(settings, org):
    day = _today()
    targets_for_year(settings.database_url, org, day.year)  # the chart draws the year's targets
    with session_scope(settings.database_url) as session:
        o, chapters = org_and_chapters(session, org)
        add_report(session, o, chapters[0], local(day, 7), [("gifts", 20, 10_000_000), ("blood_units", 8, None)])
        add_report(session, o, chapters[4], local(day, 8), [("new_members", 5, None)])
    return day


def _send(rconn, work, org, day):
    Queue(SCHEDULED_QUEUE, connection=rconn).enqueue("bot.digest.jobs.send_digest", org, day.isoformat())
    work()


def _digests(zalo, **params):
    return [m for m in sent(zalo, **params) if (m.get("text") or "").startswith("📋")]


def _log_status(settings, day):
    with session_scope(settings.database_url) as session:
        return session.scalar(select(DigestLog.status).where(DigestLog.day == day, DigestLog.kind == "digest"))


def test_fanout_member_outside_window_is_skipped_and_admins_told(settings, org, zalo, rconn, work):
    day = _seed_today(settings, org)
    set_inbound(settings.database_url, COMMITTEE, clock.now() - timedelta(hours=1))
    sim_users(zalo, ADMINS)
    sim_users(zalo, [MEMBER], last_interaction=days_ago_ms(8))  # Zalo answers -230

    started = clock.now()
    _send(rconn, work, org, day)
    finished = clock.now()

    for admin in ADMINS:
        assert len(_digests(zalo, user_id=admin)) == 1
        notices = [m["text"] for m in sent(zalo, user_id=admin) if "chưa gửi được cho" in (m.get("text") or "")]
        assert len(notices) == 1 and "Lê Văn Cường" in notices[0]
    assert sent(zalo, user_id=MEMBER) == []
    with session_scope(settings.database_url) as session:
        ident = session.scalar(select(Identity).where(Identity.external_id == MEMBER))
        assert started <= ident.unreachable_since <= finished  # marked by the send Zalo refused
    assert _log_status(settings, day) == "done"
    # The chart follows the text for each member who got it.
    for admin in ADMINS:
        msgs = sent(zalo, user_id=admin)
        images = [i for i, m in enumerate(msgs) if m.get("attachment_id")]
        texts = [i for i, m in enumerate(msgs) if (m.get("text") or "").startswith("📋")]
        assert len(images) == 1 and images[0] > texts[0]

    # Sending again changes nothing.
    before = len(sent(zalo))
    _send(rconn, work, org, day)
    assert len(sent(zalo)) == before


def test_fanout_skips_beforehand_those_known_outside_window(settings, org, zalo, rconn, work):
    day = _seed_today(settings, org)
    set_inbound(settings.database_url, ADMINS, clock.now() - timedelta(days=1))
    set_inbound(settings.database_url, [MEMBER], clock.now() - timedelta(days=8))
    sim_users(zalo, COMMITTEE)  # Zalo would accept: we must not even try

    _send(rconn, work, org, day)

    assert sent(zalo, user_id=MEMBER) == []
    for admin in ADMINS:
        texts = [m["text"] for m in sent(zalo, user_id=admin) if m.get("text")]
        assert sum(t.startswith("📋") for t in texts) == 1
        assert any("chưa gửi được cho: Lê Văn Cường" in t for t in texts)
        digest = next(t for t in texts if t.startswith("📋"))
        assert "quá 7 ngày không nhắn OA): Lê Văn Cường" in digest


def test_chart_failure_never_blocks_the_text(settings, org, zalo, rconn, work):
    day = _seed_today(settings, org)
    set_inbound(settings.database_url, COMMITTEE, clock.now())
    sim_users(zalo, COMMITTEE)
    requests.post(f"{zalo.url}/__fake/fail_next", json={"path": "/v2.0/oa/upload/image", "mode": "error",
                                                        "error": -210, "count": 5}, timeout=5)
    _send(rconn, work, org, day)
    for uid in COMMITTEE:
        msgs = sent(zalo, user_id=uid)
        assert len([m for m in msgs if (m.get("text") or "").startswith("📋")]) == 1
        assert not any(m.get("attachment_id") for m in msgs)
    assert _log_status(settings, day) == "done"


def _group(zalo, gid, **flags):
    requests.post(f"{zalo.url}/__fake/groups", json={"group_id": gid, **flags}, timeout=5).raise_for_status()


def test_gmf_group_delivers_text_then_chart(settings, org, zalo, rconn, work):
    day = _seed_today(settings, org)
    set_org(settings.database_url, org, digest_sink="gmf_group", group_id="g-committee")
    _group(zalo, "g-committee")
    _send(rconn, work, org, day)
    msgs = sent(zalo, channel="group")
    assert [m["group_id"] for m in msgs] == ["g-committee", "g-committee"]
    assert msgs[0]["text"].startswith("📋 Hội Chữ thập đỏ xã Điện Phước: tổng hợp ngày")
    assert "Quà: 20 suất, 10.000.000 đ" in msgs[0]["text"]
    assert msgs[1]["attachment_id"]
    assert sent(zalo, channel="oa") == []


def test_gmf_group_minus_403_is_reported_to_admins(settings, org, zalo, rconn, work):
    day = _seed_today(settings, org)
    set_org(settings.database_url, org, digest_sink="gmf_group", group_id="g-committee")
    set_inbound(settings.database_url, COMMITTEE, clock.now())
    sim_users(zalo, COMMITTEE)
    _group(zalo, "g-committee", oa_member=False)
    _send(rconn, work, org, day)
    assert sent(zalo, channel="group") == []
    for admin in ADMINS:
        notes = [m["text"] for m in sent(zalo, user_id=admin)]
        assert len(notes) == 1 and "-403" in notes[0] and "không còn là thành viên" in notes[0]
    assert sent(zalo, user_id=MEMBER) == []  # a member is not an admin
    assert _log_status(settings, day) == "done"


def test_gmf_group_minus_237_is_reported_to_admins(settings, org, zalo, rconn, work):
    day = _seed_today(settings, org)
    set_org(settings.database_url, org, digest_sink="gmf_group", group_id="g-committee")
    set_inbound(settings.database_url, COMMITTEE, clock.now())
    sim_users(zalo, COMMITTEE)
    _group(zalo, "g-committee", disabled=True)
    _send(rconn, work, org, day)
    for admin in ADMINS:
        notes = [m["text"] for m in sent(zalo, user_id=admin)]
        assert len(notes) == 1 and "-237" in notes[0] and "gia hạn gói GMF" in notes[0]


def test_bot_group_delivered_via_bot_api(settings, org, zalo, rconn, work):
    day = _seed_today(settings, org)
    set_org(settings.database_url, org, digest_sink="bot_group", group_id="e4ea2cd5189df1c3a88c")
    _send(rconn, work, org, day)
    msgs = sent(zalo, channel="bot")
    assert len(msgs) == 1
    assert msgs[0]["chat_id"] == "e4ea2cd5189df1c3a88c"
    assert msgs[0]["text"].startswith("📋 Hội Chữ thập đỏ xã Điện Phước")
    assert 'Nhắn "tổng" cho OA' in msgs[0]["text"]
    assert sent(zalo, channel="oa") == [] and sent(zalo, channel="group") == []
    assert _log_status(settings, day) == "done"
