"""``chỉ tiêu [năm N]``: the year's progress per indicator against the summed chapter targets
(or the organization's own target, where an admin set one); with an indicator and a number,
an admin sets a target (``handlers.target_set``)."""

from __future__ import annotations

import re

from bot.conversation.context import Ctx
from bot.conversation.router import MEMBER, Reply, command
from bot.parsing.text import fold
from bot.periods import year_share
from bot.reporting import stats
from bot.web.events import Message
from handlers import target_set

_YEAR = re.compile(r"^(?:nam\s*)?(\d{4})$")


@command("chỉ tiêu", "chi tieu", roles=(MEMBER,))
def handle(message: Message, ctx: Ctx, args: str):
    wanted = fold(args.strip())
    if wanted and wanted != "nam nay" and not _YEAR.match(wanted):
        return target_set.handle(message, ctx, args)
    orgs = ctx.committee_orgs
    replies = []
    for org in orgs:
        today = ctx.local_today(org.timezone)
        year = today.year
        wanted = fold(args.strip())
        if wanted and wanted not in ("nam nay",):
            m = _YEAR.match(wanted)
            if m is None:
                return Reply("period_unknown", {"text": args})
            year = int(m.group(1))
        rows = stats.target_progress(ctx.session, org, today, year=year)
        share = 1.0 if year < today.year else (0.0 if year > today.year else year_share(today))
        behind = [p for p in rows if p.pace == "behind"]
        replies.append(
            Reply(
                "targets",
                {
                    "org": org,
                    "year": year,
                    "share": share,
                    "progress": stats.progress_views(rows, org.catalog),
                    "behind": len(behind),
                },
            )
        )
    return replies
