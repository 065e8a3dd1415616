"""``xem``: a chapter head's own figures this month, and the year against the chapter's targets."""

from __future__ import annotations

from datetime import date

from bot.conversation.context import Ctx
from bot.periods import this_month, year_share
from bot.reporting import stats
from bot.web.events import Message
from handlers import ANYONE, Reply, command


def chapter_view(ctx: Ctx, chapter, today: date) -> dict:
    """A chapter's month totals, year progress and last report day, for the templates."""
    org = chapter.org
    catalog = stats.catalog_for_org(org)
    month = this_month(today)
    found = stats.totals(ctx.session, org.id, month.start, today, [chapter.id], catalog)
    progress = stats.target_progress(ctx.session, org, today, [chapter.id])
    return {
        "chapter": chapter,
        "month": month,
        "items": stats.total_views(found, catalog),
        "progress": stats.progress_views(progress, catalog),
        "year": today.year,
        "share": year_share(today),
        "last_date": stats.last_report_date(ctx.session, chapter.id),
    }


@command("xem", "xem số liệu", "xem so lieu", "xem báo cáo", "xem bao cao", roles=(ANYONE,))
def handle(message: Message, ctx: Ctx, args: str):
    if not ctx.head_chapters:
        if ctx.committee_orgs:  # the committee's "xem" is the month's totals
            from handlers import totals

            return totals.handle(message, ctx, "")
        return Reply("unknown_sender")
    replies = []
    for chapter in ctx.head_chapters:
        today = ctx.local_today(chapter.org.timezone)
        replies.append(Reply("mine", chapter_view(ctx, chapter, today)))
    return replies
