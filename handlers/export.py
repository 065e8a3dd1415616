"""``xuất [kỳ]``: the period's .xlsx behind a signed download link valid 24 hours.

OA file messages take only PDF/DOC/DOCX/CSV, so the workbook is served by GET /exports/<token>.
"""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.conversation.router import MEMBER, Reply, command
from bot.periods import this_month
from bot.reporting.xlsx import LINK_MAX_AGE, export_link
from bot.web.events import Message
from handlers.committee import period_or_reply


@command("xuất", "xuat", "xuất báo cáo", "xuat bao cao", "xuất file", "xuat file", "xuất excel", "xuat excel", roles=(MEMBER,))
def handle(message: Message, ctx: Ctx, args: str):
    orgs = ctx.committee_orgs
    replies = []
    for org in orgs:
        period, ask_again = period_or_reply(args, ctx, org, this_month)
        if ask_again is not None:
            return ask_again
        replies.append(
            Reply(
                "export",
                {
                    "org": org,
                    "period": period,
                    "link": export_link(ctx.settings, org.code, period.start, period.end),
                    "hours": LINK_MAX_AGE // 3600,
                },
            )
        )
    return replies
