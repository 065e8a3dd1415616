"""``đăng nhập``: a personal link to the committee's web console (single use, valid 10 minutes).

Anyone with a role (admin, committee member, chapter head) gets one; a stranger gets the usual
``unknown_sender``. Each person may ask ``LIMIT`` times per ``WINDOW`` seconds (a Redis counter),
so the chat cannot be used to mint links in bulk.
"""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.conversation.router import Reply, command
from bot.web import login_links as tokens
from bot.web.events import Message

LIMIT = 5  # links per person …
WINDOW = 15 * 60  # … per 15 minutes
COUNTER = "chb:console:ask:{}"


@command("đăng nhập", "dang nhap", "login")
def handle(message: Message, ctx: Ctx, args: str):
    if ctx.person is None or not ctx.memberships:
        return Reply("unknown_sender")
    key = COUNTER.format(ctx.person.id)
    pipe = ctx.redis.pipeline()
    pipe.set(key, 0, ex=WINDOW, nx=True)  # the window starts at the first ask (Redis 6.2 has no EXPIRE NX)
    pipe.incr(key)
    _, count = pipe.execute()
    if count > LIMIT:
        return Reply("console_login_limited", {"minutes": WINDOW // 60})
    link = tokens.login_link(ctx.settings, ctx.person.id)
    return Reply("console_login", {"link": link, "minutes": tokens.MAX_AGE // 60})
