"""Registration by chat: an admin's ``mời`` code, a new head's ``đk``, and every bad code."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot import clock
from bot.storage.db import session_scope
from bot.storage.models import Chapter, Identity, Invite, Membership

ADMIN = "7001000000000000001"
ADMIN2 = "7001000000000000002"
NEWBIE = "7003000000000000001"
OTHER = "7003000000000000002"
CODE = re.compile(r"Mã đăng ký cho (.+): ([A-Z0-9]{6})")


def invite(chat, who=ADMIN, chapter="NHIDINH2") -> str:
    answer = chat.ask(who, f"mời {chapter}")
    m = CODE.search(answer)
    assert m, answer
    assert f"đk {m.group(2)}" in answer and "Dùng một lần" in answer
    return m.group(2)


def heads_of(settings, code: str) -> list[str]:
    with session_scope(settings.database_url) as s:
        return list(
            s.scalars(
                select(Identity.external_id)
                .join(Membership, Membership.person_id == Identity.person_id)
                .join(Chapter, Chapter.id == Membership.chapter_id)
                .where(Chapter.code == code, Membership.role == "head")
                .order_by(Identity.external_id)
            )
        )


def test_invite_then_register_binds_the_new_head_and_tells_both(chat, org, settings):
    code = invite(chat)
    assert set(code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    with session_scope(settings.database_url) as s:
        row = s.scalar(select(Invite).where(Invite.code == code))
        assert row.used_at is None
        assert abs(row.expires_at - clock.now() - timedelta(days=7)) < timedelta(minutes=1)
    assert chat.ask(NEWBIE, "qua 5").startswith("Chào anh/chị! Tài khoản Zalo này chưa gắn")
    before = len(chat.sent(ADMIN))
    answer = chat.ask(NEWBIE, f"đk {code.lower()}")
    assert answer.startswith("✅ Đăng ký thành công! Anh/chị là chi hội trưởng Chi hội thôn Nhị Dinh 2")
    notice = [m["text"] for m in chat.sent(ADMIN)[before:]]
    assert len(notice) == 1 and f"đã dùng mã {code} và được gắn vào Chi hội thôn Nhị Dinh 2" in notice[0]
    assert heads_of(settings, "NHIDINH2") == ["7002000000000000002", NEWBIE]
    # the new head reports at once
    assert "Đã ghi nhận cho Chi hội thôn Nhị Dinh 2" in chat.ask(NEWBIE, "qua 5")
    # a code is used once
    assert "đã được dùng" in chat.ask(OTHER, f"dk {code}")
    assert heads_of(settings, "NHIDINH2") == ["7002000000000000002", NEWBIE]  # not OTHER
    assert "đã là chi hội trưởng Chi hội thôn Nhị Dinh 2 rồi" in chat.ask(NEWBIE, f"đăng ký {code}")


def test_the_admin_who_invited_is_the_one_told(chat, org):
    code = invite(chat, ADMIN2, "PHONGNHI")
    before1, before2 = len(chat.sent(ADMIN)), len(chat.sent(ADMIN2))
    chat.ask(NEWBIE, f"đk {code}")
    assert len(chat.sent(ADMIN)) == before1
    assert "Chi hội thôn Phong Nhị" in chat.sent(ADMIN2)[before2]["text"]


def test_an_existing_head_can_take_a_second_chapter(chat, org, settings):
    code = invite(chat, chapter="TIEUHOC1")
    answer = chat.ask("7002000000000000001", f"đk {code}")
    assert "Chi hội trường Tiểu học số 1" in answer and '"TIEUHOC1: qua 5"' in answer
    assert heads_of(settings, "TIEUHOC1") == ["7002000000000000001", "7002000000000000010"]


def test_expired_unknown_and_missing_codes(chat, org, settings):
    code = invite(chat)
    with session_scope(settings.database_url) as s:
        row = s.scalar(select(Invite).where(Invite.code == code))
        row.expires_at -= timedelta(days=8)
    assert f'Mã "{code}" đã hết hạn' in chat.ask(NEWBIE, f"đk {code}")
    assert 'Mã "ZZZZZZ" không đúng' in chat.ask(NEWBIE, "đk ZZZZZZ")
    assert 'nhắn "đk" kèm mã' in chat.ask(NEWBIE, "đk")
    assert heads_of(settings, "NHIDINH2") == ["7002000000000000002"]


def test_invite_needs_a_known_chapter(chat, org):
    assert 'nhắn "mời" kèm mã chi hội' in chat.ask(ADMIN, "mời")
    answer = chat.ask(ADMIN, "mời XYZ")
    assert 'Không tìm thấy chi hội "XYZ"' in answer and "• NHIDINH1" in answer
    assert "Có 2 chi hội khớp" in chat.ask(ADMIN, "mời nông sơn")
    found = CODE.search(chat.ask(ADMIN, "moi Phong Nhi"))
    assert found and found.group(1) == "Chi hội thôn Phong Nhị"


def test_only_admins_invite(chat, org):
    assert 'Lệnh "mời" chỉ dành cho quản trị viên' in chat.ask("7001000000000000003", "mời NHIDINH1")
    assert 'Lệnh "mời" dành cho Ban Thường vụ' in chat.ask("7002000000000000001", "mời NHIDINH1")
    assert chat.ask(NEWBIE, "mời NHIDINH1").startswith("Chào anh/chị!")
