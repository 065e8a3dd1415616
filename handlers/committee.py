"""Shared guards for the committee's commands (tổng, chi hội, chưa báo cáo, chỉ tiêu, xuất, mời).

These commands are registered for anyone so that a chapter head's report that happens to start
with a command word ("Tổng cộng trao 20 suất quà", "Chi hội thôn … hiến máu 8 đv") is still
recorded as a report; a head's message with no figures gets the polite refusal, and nobody but
the committee sees any committee data.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.events import Message
from bot.models import Organization
from bot.parsing import parse_report
from bot.periods import Period, parse_period
from handlers import Reply


def committee_orgs(message: Message, ctx: Ctx, name: str, admin: bool = False) -> tuple[list[Organization], object]:
    """(the organizations the sender may query, None) or ([], the reply to give instead)."""
    orgs = ctx.admin_orgs if admin else ctx.committee_orgs
    if orgs:
        return orgs, None
    if ctx.head_chapters:
        from handlers import report

        org = ctx.head_chapters[0].org
        if parse_report(message.text, message.sent_at, ctx.catalog_for(org)).items:
            return [], report.handle(message, ctx)
        return [], Reply("refused", {"command": name, "is_head": True})
    if ctx.committee_orgs:  # a committee member asking for an admin command
        return [], Reply("refused_admin", {"command": name})
    if ctx.identity is None or not ctx.memberships:
        return [], Reply("unknown_sender")
    return [], Reply("refused", {"command": name, "is_head": False})


def period_or_reply(args: str, ctx: Ctx, org: Organization, default) -> tuple[Period | None, Reply | None]:
    """The period named in ``args`` (or ``default(today)`` when none), else a reply asking again."""
    today = ctx.local_today(org.timezone)
    if not args.strip():
        return default(today), None
    period = parse_period(args, today)
    if period is None:
        return None, Reply("period_unknown", {"text": args})
    return period, None
