"""The default for a chapter head: a message that is no command is a report."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Ctx
from bot.events import Message
from bot.parsing import parse_report
from bot.parsing.text import fold
from bot.reports import item_views, store_report
from handlers import Reply, conversation


def split_chapter_prefix(text: str, chapters) -> tuple[object | None, str]:
    """``THCS: qua 5`` -> (the THCS chapter, ``qua 5``) when the head leads that chapter."""
    head, sep, rest = text.partition(":")
    if sep and head.strip():
        wanted = fold(head.strip()).replace(" ", "")
        for chapter in chapters:
            if wanted in (fold(chapter.code).replace(" ", ""), fold(chapter.name).replace(" ", "")):
                return chapter, rest.strip()
    return None, text


def handle(message: Message, ctx: Ctx):
    chapters = ctx.head_chapters
    chapter, text = split_chapter_prefix(message.text, chapters)
    if chapter is None and len(chapters) > 1:
        org = chapters[0].org
        result = parse_report(message.text, message.sent_at, ctx.catalog_for(org))
        if not result.items:
            return Reply("report_nothing", {"text": message.text})
        conversation.ask(
            ctx,
            message.sender_id,
            "which_chapter",
            {"text": message.text, "msg_id": message.msg_id, "sent_at": message.sent_at.isoformat()},
        )
        return Reply("which_chapter", {"chapters": chapters})
    chapter = chapter or chapters[0]
    return record(message, ctx, chapter, text)


def record(message: Message, ctx: Ctx, chapter, text: str):
    """Parse ``text`` for ``chapter`` and store it; the reply shows exactly what was recorded."""
    org = chapter.org
    catalog = ctx.catalog_for(org)
    result = parse_report(text, message.sent_at, catalog)
    if not result.items:
        return Reply("report_nothing", {"text": text})
    report_date = result.date or message.sent_at.astimezone(ZoneInfo(org.timezone)).date()
    report = store_report(ctx, org=org, chapter=chapter, text=text, items=result.items, report_date=report_date)
    return Reply(
        "report_saved",
        {
            "chapter": chapter,
            "date": report.report_date,
            "items": item_views(report.items, catalog),
            "unparsed": list(result.unparsed),
        },
    )


@conversation.resumer("which_chapter")
def which_chapter(message: Message, ctx: Ctx, state: dict):
    chapters = ctx.head_chapters
    answer = fold(message.text.strip()).replace(" ", "")
    for chapter in chapters:
        if answer in (fold(chapter.code).replace(" ", ""), fold(chapter.name).replace(" ", "")):
            conversation.clear(ctx, message.sender_id)
            original = Message(
                message.channel, message.event_name, state["msg_id"], message.sender_id, state["msg_id"],
                state["text"], datetime.fromisoformat(state["sent_at"]),
            )  # fmt: skip
            return record(original, ctx, chapter, state["text"])
    return None  # not an answer: route the message as usual
