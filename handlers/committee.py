"""Shared pieces of the committee's commands (tổng, chi hội, chưa báo cáo, chỉ tiêu, xuất)."""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.conversation.router import Reply
from bot.periods import Period, parse_period
from bot.storage.models import Organization


def period_or_reply(args: str, ctx: Ctx, org: Organization, default) -> tuple[Period | None, Reply | None]:
    """The period named in ``args`` (or ``default(today)`` when none), else a reply asking again."""
    today = ctx.local_today(org.timezone)
    if not args.strip():
        return default(today), None
    period = parse_period(args, today)
    if period is None:
        return None, Reply("period_unknown", {"text": args})
    return period, None
