"""``xem``: a chapter head's own figures this month, and the year against the chapter's targets."""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.conversation.router import ANYONE, Reply, command
from bot.reporting import stats
from bot.web.events import Message
from handlers import totals


@command("xem", "xem số liệu", "xem so lieu", "xem báo cáo", "xem bao cao", roles=(ANYONE,))
def handle(message: Message, ctx: Ctx, args: str):
    if not ctx.head_chapters:
        if ctx.committee_orgs:  # the committee's "xem" is the month's totals
            return totals.handle(message, ctx, "")
        return Reply("unknown_sender")
    replies = []
    for chapter in ctx.head_chapters:
        today = ctx.local_today(chapter.org.timezone)
        replies.append(Reply("mine", stats.chapter_view(ctx.session, chapter, today)))
    return replies
