"""Reply.answering: where an answer goes and what it quotes, decided by the Reply itself."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.conversation.router import Reply
from bot.web.events import BOT, OA, Follow, Message

SENT = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
OA_MSG = Message(OA, "user_send_text", "m1", "u1", "m1", "qua 5", SENT)
BOT_MSG = Message(BOT, "message.text.received", "b1", "u2", "b1", "qua 5", SENT, chat_id="group-7")


def test_an_oa_answer_goes_to_the_sender_quoting_their_message():
    reply = Reply("report_saved").answering(OA_MSG)
    assert (reply.to, reply.channel, reply.quote_id) == ("u1", OA, "m1")


def test_a_bot_answer_goes_to_the_chat_and_never_quotes():
    reply = Reply("report_saved").answering(BOT_MSG)
    assert (reply.to, reply.channel, reply.quote_id) == ("group-7", BOT, None)


def test_a_reply_to_someone_else_never_quotes():
    reply = Reply("invite_used", to="admin-1").answering(OA_MSG)
    assert (reply.to, reply.channel, reply.quote_id) == ("admin-1", OA, None)


def test_unquoted_replies_and_follows():
    assert Reply("welcome", quote=False).answering(OA_MSG).quote_id is None
    follow = Reply("welcome", quote=False).answering(Follow(OA, "follow", "k", "u3", SENT))
    assert (follow.to, follow.channel, follow.quote_id) == ("u3", OA, None)
