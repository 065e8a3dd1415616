"""``sửa …``: replace the sender's last report with what follows; the old one stays, marked replaced.

The correction may be a nil report (``sửa không có hoạt động``: no items, still reported). A
correction the parser is not sure of waits like a new report does (pending, and asked again).
"""

from __future__ import annotations

import re

from bot.conversation import pending
from bot.conversation.context import Ctx
from bot.conversation.router import HEAD, Reply, command
from bot.parsing import parse_report
from bot.parsing.text import fold
from bot.reporting.stats import item_views
from bot.storage.reports import log_change, snapshot
from bot.web.events import Message
from handlers import report
from handlers.undo import UNDO_WINDOW, last_report

# "sửa nhà …" / "sửa 2 căn nhà" reports repaired houses; it is not a correction.
_HOUSE_REPAIR = re.compile(r"^(?:\d+\s+)?(?:(?:can|ngoi|cai)\s+)?nha\b")


@command("sửa", "sua", "sửa lại", "sua lai", "sửa báo cáo", "sua bao cao", roles=(HEAD,))
def handle(message: Message, ctx: Ctx, args: str):
    if _HOUSE_REPAIR.match(fold(args.strip())):
        return report.handle(message, ctx)
    if not args.strip():
        return Reply("correct_empty")
    old = last_report(ctx)
    if old is None:
        return Reply("correct_nothing", {"days": UNDO_WINDOW.days})
    chapter = next(c for c in ctx.head_chapters if c.id == old.chapter_id)
    catalog = chapter.org.catalog
    result = parse_report(args, message.sent_at, catalog)
    if not result.items and not result.nil:
        return Reply("report_nothing", {"text": args})
    unsure = [item for item in result.items if not item.sure]
    before_views = item_views(old.items, catalog)
    before = snapshot(old)
    old.status = "replaced"
    new = report.save_report(
        ctx,
        org=chapter.org,
        chapter=chapter,
        text=args,
        items=result.items,
        report_date=result.date or old.report_date,  # the corrected report keeps its day unless it names one
        replaces_id=old.id,
        status="pending" if unsure else "active",
    )
    log_change(ctx.session, old, "correct", before, snapshot(new), person_id=ctx.person_id, at=ctx.now,
               new_report_id=new.id)
    pending.clear(ctx, message.sender_id)  # a pending question about the old report is answered
    if unsure:
        pending.ask(ctx, message.sender_id, "unsure", {"report_id": new.id})
    return Reply(
        "correct",
        {
            "chapter": chapter,
            "old_date": old.report_date,
            "date": new.report_date,
            "before": before_views,
            "after": item_views(new.items, catalog),
            "unparsed": list(result.unparsed),
            "unsure": item_views(unsure, catalog),
        },
    )
