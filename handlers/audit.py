"""``nhật ký [kỳ]``: the audit log of the committee's changes (admins and committee members read it).

Default period: the last 7 days. Each line: when, who, what, before → after; people by name.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.conversation.context import Ctx
from bot.conversation.router import MEMBER, Reply, command
from bot.people import name_of
from bot.periods import last_days
from bot.storage.models import AuditEntry
from bot.web.events import Message
from handlers.committee import period_or_reply

MAX_LINES = 60


@command("nhật ký", "nhat ky", "nhật kí", "nhat ki", roles=(MEMBER,))
def handle(message: Message, ctx: Ctx, args: str):
    replies = []
    for org in ctx.committee_orgs:
        period, ask_again = period_or_reply(args, ctx, org, last_days)
        if ask_again is not None:
            return ask_again
        tz = ZoneInfo(org.timezone)
        start = datetime.combine(period.start, time(0), tz)
        end = datetime.combine(period.end + timedelta(days=1), time(0), tz)
        rows = ctx.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.org_id == org.id, AuditEntry.at >= start, AuditEntry.at < end)
            .order_by(AuditEntry.at, AuditEntry.id)
        ).all()
        names: dict[int | None, str] = {}
        entries = []
        for row in rows[-MAX_LINES:]:
            if row.person_id not in names:
                names[row.person_id] = name_of(ctx.session, row.person_id) or "dòng lệnh"
            entries.append({"at": row.at, "who": names[row.person_id], "action": row.action,
                            "subject": row.subject, "before": row.before, "after": row.after})
        replies.append(Reply("audit", {"org": org, "period": period, "entries": entries,
                                       "more": max(0, len(rows) - MAX_LINES)}))
    return replies
