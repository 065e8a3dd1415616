"""``tổng [kỳ]``: the organization's totals per indicator and how many chapters reported; for a
province association, summed over all its communes' chapters."""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.conversation.router import MEMBER, Reply, command
from bot.periods import parse_period, this_month
from bot.reporting import stats
from bot.web.events import Message
from handlers.committee import period_or_reply


@command("tổng", "tong", "tổng hợp", "tong hop", "tổng kết", "tong ket", roles=(MEMBER,))
def handle(message: Message, ctx: Ctx, args: str):
    orgs = ctx.committee_orgs
    replies = []
    for org in orgs:
        period, ask_again = period_or_reply(args, ctx, org, this_month)
        if ask_again is not None:
            return ask_again
        catalog = org.catalog
        scope = stats.subtree_ids(ctx.session, org.id)
        found = stats.totals(ctx.session, scope, period.start, period.end, catalog=catalog)
        replies.append(
            Reply(
                "totals",
                {
                    "org": org,
                    "asked": _writable(period, args, ctx.local_today(org.timezone)),
                    "period": period,
                    "items": stats.total_views(found, catalog),
                    "reported": len(stats.reporting_chapter_ids(ctx.session, scope, period.start, period.end)),
                    "chapters": len(stats.chapters(ctx.session, scope)),
                    "communes": len(stats.child_orgs(ctx.session, org.id)),
                },
            )
        )
    return replies


def _writable(period, args: str, today) -> str:
    """How to name this period in a suggested command: its accented label when that reads back."""
    if parse_period(period.label, today) == period:
        return period.label
    return args.strip()
