"""``huỷ``: cancel the sender's last report (up to 7 days old), keeping it and the change in history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.conversation import pending
from bot.conversation.context import Ctx
from bot.conversation.router import HEAD, Reply, command
from bot.reporting.stats import item_views
from bot.storage.models import Report
from bot.storage.reports import log_change, snapshot
from bot.web.events import Message

UNDO_WINDOW = timedelta(days=7)
OPEN = ("active", "pending")  # a pending report (awaiting confirmation) may be cancelled or corrected too


def last_report(ctx: Ctx) -> Report | None:
    """The sender's newest active or pending report sent in the last 7 days, in a chapter they still head."""
    if ctx.person is None:
        return None
    chapter_ids = [c.id for c in ctx.head_chapters]
    if not chapter_ids:
        return None
    return ctx.session.scalar(
        select(Report)
        .where(
            Report.person_id == ctx.person.id,
            Report.chapter_id.in_(chapter_ids),
            Report.status.in_(OPEN),
            Report.created_at >= ctx.now - UNDO_WINDOW,
        )
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(1)
    )


def cancel(ctx: Ctx, report: Report) -> None:
    before = snapshot(report)
    report.status = "cancelled"
    log_change(ctx.session, report, "cancel", before, snapshot(report), person_id=ctx.person_id, at=ctx.now)


@command("huỷ", "hủy", "huy", "huỷ báo cáo", "hủy báo cáo", roles=(HEAD,))
def handle(message: Message, ctx: Ctx, args: str):
    report = last_report(ctx)
    if report is None:
        return Reply("undo_nothing", {"days": UNDO_WINDOW.days})
    chapter = next(c for c in ctx.head_chapters if c.id == report.chapter_id)
    was_pending = report.status == "pending"
    views = item_views(report.items, chapter.org.catalog)
    cancel(ctx, report)
    pending.clear(ctx, message.sender_id)  # a question about this report is moot now
    return Reply(
        "undo",
        {"chapter": chapter, "date": report.report_date, "items": views, "was_pending": was_pending},
    )
