"""The default for a chapter head: a message that is no command is a report.

What a message becomes:
- figures the parser is sure of: an active report, counted at once (``report_saved``);
- a nil report (``không có hoạt động``, ``tuần này không có gì``, ``0``): an active report with no
  items, so the chapter counts as reported (``chưa báo cáo``, the digest, the export) and no figure
  changes (``report_nil``); one per message, like every report (unique event);
- any item the parser is not sure of (``Item.sure`` False): the WHOLE report waits, status
  ``pending``, like an outlier or a near-duplicate, and the head is asked ``Tôi hiểu là: … Đúng
  không?`` (``report_unsure``). The sure items of the same message wait with it and the question
  says so: a report is one message (one event, one row), the head answers about the message they
  sent, and counting half of it would show the committee a figure the head may still correct with
  ``sửa`` (which replaces the whole report). ``đúng`` counts it once (the question is then gone,
  and a pending report is confirmed only while it is still pending), ``sửa …`` replaces it,
  ``huỷ`` cancels it; a ``không``/``sai`` keeps it waiting and says how to correct it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.conversation import pending
from bot.conversation.context import Ctx
from bot.conversation.router import Reply, default
from bot.parsing import parse_report
from bot.parsing.text import fold
from bot.reporting.stats import item_views
from bot.storage.models import Report, ReportItem
from bot.storage.reports import add_report, settle
from bot.web.events import Message
from handlers.undo import last_report


def split_chapter_prefix(text: str, chapters) -> tuple[object | None, str]:
    """``THCS: qua 5`` -> (the THCS chapter, ``qua 5``) when the head leads that chapter."""
    head, sep, rest = text.partition(":")
    if sep and head.strip():
        wanted = fold(head.strip()).replace(" ", "")
        for chapter in chapters:
            if wanted in (fold(chapter.code).replace(" ", ""), fold(chapter.name).replace(" ", "")):
                return chapter, rest.strip()
    return None, text


@default
def handle(message: Message, ctx: Ctx, *, only_if_report: bool = False):
    """Record the head's message as a report; with ``only_if_report``, None when it holds no figures
    and is no nil report ("Chi hội thôn … tuần này không có hoạt động" starts with a command word)."""
    chapters = ctx.head_chapters
    chapter, text = split_chapter_prefix(message.text, chapters)
    if chapter is None and len(chapters) > 1:
        org = chapters[0].org
        result = parse_report(message.text, message.sent_at, org.catalog)
        if not result.items and not result.nil:
            return None if only_if_report else nothing(message, ctx, message.text)
        pending.ask(
            ctx,
            message.sender_id,
            "which_chapter",
            {"text": message.text, "msg_id": message.msg_id, "sent_at": message.sent_at.isoformat()},
        )
        return Reply("which_chapter", {"chapters": chapters})
    chapter = chapter or chapters[0]
    return record(message, ctx, chapter, text, only_if_report=only_if_report)


def record(message: Message, ctx: Ctx, chapter, text: str, *, only_if_report: bool = False):
    """Parse ``text`` for ``chapter`` and store it; the reply shows exactly what was recorded."""
    org = chapter.org
    catalog = org.catalog
    result = parse_report(text, message.sent_at, catalog)
    if not result.items and not result.nil:
        # a command word with no figures (nor a nil report) is the command
        return None if only_if_report else nothing(message, ctx, text)
    report_date = result.date or message.sent_at.astimezone(ZoneInfo(org.timezone)).date()
    if not result.items:  # nil: counted as reported, no figures
        report = save_report(ctx, org=org, chapter=chapter, text=text, items=(), report_date=report_date)
        return Reply("report_nil", {"chapter": chapter, "date": report.report_date})
    duplicate = find_duplicate(ctx, chapter, result.items)
    odd = [] if duplicate else outliers(ctx, chapter, result.items, catalog)
    unsure = [] if duplicate else [item for item in result.items if not item.sure]
    status = "pending" if duplicate or odd or unsure else "active"
    report = save_report(
        ctx, org=org, chapter=chapter, text=text, items=result.items, report_date=report_date, status=status
    )
    shown = {
        "chapter": chapter,
        "date": report.report_date,
        "items": item_views(report.items, catalog),
        "unparsed": list(result.unparsed),
    }
    if duplicate is not None:
        pending.ask(ctx, message.sender_id, "duplicate", {"report_id": report.id})
        return Reply("report_duplicate", {**shown, "minutes": max(1, int((ctx.now - duplicate.created_at).total_seconds() // 60))})
    if unsure:
        pending.ask(ctx, message.sender_id, "unsure", {"report_id": report.id})
        others = [item for item in result.items if item.sure]
        return Reply("report_unsure", {**shown, "unsure": item_views(unsure, catalog),
                                       "others": item_views(others, catalog), "reasons": odd})
    if odd:
        pending.ask(ctx, message.sender_id, "outlier", {"report_id": report.id})
        return Reply("report_outlier", {**shown, "reasons": odd})
    return Reply("report_saved", shown)


def nothing(message: Message, ctx: Ctx, text: str) -> Reply:
    """The answer to a head's message with no figures: how to report, or, for a ``đúng`` with no
    question open (it lasts 30 minutes), the confirmation of their last report if it still waits
    on a reading the bot was not sure of."""
    if _answer(message) not in _CONFIRM_WORDS:
        return Reply("report_nothing", {"text": text})
    report = last_report(ctx)
    if report is not None and report.status == "pending":
        chapter = next(c for c in ctx.head_chapters if c.id == report.chapter_id)
        again = parse_report(report.raw_text, report.created_at, chapter.org.catalog)  # the same reading
        if any(not item.sure for item in again.items):
            return _settle(message, ctx, report, "active", "confirm")
    return Reply("report_nothing_waiting")


def save_report(ctx: Ctx, *, org, chapter, text: str, items, report_date, status: str = "active",
                replaces_id=None) -> Report:
    """Store ``items`` as the sender's report for ``chapter``, linked to the event being handled."""
    return add_report(ctx.session, org_id=org.id, chapter_id=chapter.id, person_id=ctx.person_id,
                      event_id=ctx.event_id, report_date=report_date, raw_text=text, items=items,
                      now=ctx.now, status=status, replaces_id=replaces_id)


# --------------------------------------------------------------------------- checks before counting
DUPLICATE_WINDOW = timedelta(minutes=10)
OUTLIER_FACTOR = 10  # a figure more than 10x the chapter's largest before for that indicator …
QUANTITY_FLOOR = 200  # … and above these floors, is confirmed before it counts
VALUE_FLOOR = 100_000_000
PER_UNIT_MIN, PER_UNIT_MAX = 10_000, 10_000_000  # plausible value of one gift or scholarship, in đồng
PER_UNIT_INDICATORS = ("gifts", "scholarships")


def _same_items(items) -> list:
    return sorted((i.indicator, i.quantity or 0, i.value_vnd or 0) for i in items)


def find_duplicate(ctx: Ctx, chapter, items) -> Report | None:
    """A report from the same chapter, sent in the last 10 minutes, with exactly these items."""
    wanted = _same_items(items)
    recent = ctx.session.scalars(
        select(Report)
        .where(
            Report.chapter_id == chapter.id,
            Report.status.in_(("active", "pending")),
            Report.created_at >= ctx.now - DUPLICATE_WINDOW,
        )
        .order_by(Report.id.desc())
        .options(selectinload(Report.items))  # one query for all their items, not one per report
    )
    return next((r for r in recent if _same_items(r.items) == wanted), None)


def outliers(ctx: Ctx, chapter, items, catalog) -> list[dict]:
    """Why some figures need a confirmation: far above the chapter's history, or an odd value per gift."""
    checked = []  # (item, view, the per-unit reason or None), in the message's order
    for item in items:
        view = item_views([item], catalog)[0]
        odd = None
        if item.indicator in PER_UNIT_INDICATORS and item.quantity and item.value_vnd:
            per_unit = item.value_vnd // item.quantity
            if not PER_UNIT_MIN <= per_unit <= PER_UNIT_MAX:
                odd = {"kind": "per_unit", "item": view, "per_unit": per_unit}
        checked.append((item, view, odd))
    history = sorted({item.indicator for item, _, odd in checked if odd is None})
    most = {}
    if history:  # one query for the history of every indicator of the message, not one per item
        most = {
            indicator: (most_q, most_v)
            for indicator, most_q, most_v in ctx.session.execute(
                select(ReportItem.indicator, func.max(ReportItem.quantity), func.max(ReportItem.value_vnd))
                .join(Report, Report.id == ReportItem.report_id)
                .where(Report.chapter_id == chapter.id, Report.status == "active", ReportItem.indicator.in_(history))
                .group_by(ReportItem.indicator)
            )
        }
    reasons = []
    for item, view, odd in checked:
        if odd is not None:
            reasons.append(odd)
            continue
        most_q, most_v = most.get(item.indicator, (None, None))
        if item.quantity and item.quantity > QUANTITY_FLOOR and item.quantity > OUTLIER_FACTOR * (most_q or 0):
            reasons.append({"kind": "history", "item": view, "most": most_q, "money": False})
        elif item.value_vnd and item.value_vnd > VALUE_FLOOR and item.value_vnd > OUTLIER_FACTOR * (most_v or 0):
            reasons.append({"kind": "history", "item": view, "most": most_v, "money": True})
    return reasons


def _pending(ctx: Ctx, state: dict) -> Report | None:
    report = ctx.session.get(Report, state.get("report_id"))
    return report if report is not None and report.status == "pending" else None


def _settle(message: Message, ctx: Ctx, report: Report, status: str, action: str) -> Reply:
    settle(ctx.session, report, status, action, person_id=ctx.person_id, at=ctx.now)
    pending.clear(ctx, message.sender_id)
    chapter = next(c for c in ctx.head_chapters if c.id == report.chapter_id)
    shown = {"chapter": chapter, "date": report.report_date, "items": item_views(report.items, chapter.org.catalog)}
    return Reply("report_confirmed" if status == "active" else "report_dismissed", shown)


_YES_AGAIN = {"ghi them", "ghi", "ghi tiep", "co", "co ghi", "dong y", "ok", "ghi them di"}
_SKIP = {"bo qua", "bo", "khong", "ko", "k", "thoi", "khong ghi", "trung"}
_CONFIRM_WORDS = {"dung", "dung roi", "dung vay", "chinh xac", "xac nhan", "dung a"}
_CORRECT = _CONFIRM_WORDS | {"ok", "co"}
_WRONG = {"khong", "ko", "k", "sai", "sai roi", "chua dung", "khong dung", "ko dung", "khong phai", "nham"}


def _answer(message: Message) -> str:
    return " ".join(fold(message.text).strip(" .!").split())


@pending.resumer("duplicate")
def duplicate_answer(message: Message, ctx: Ctx, state: dict):
    report = _pending(ctx, state)
    if report is None:
        pending.clear(ctx, message.sender_id)
        return None
    answer = _answer(message)
    if answer in _YES_AGAIN:
        return _settle(message, ctx, report, "active", "confirm")
    if answer in _SKIP:
        return _settle(message, ctx, report, "cancelled", "cancel")
    return None  # not an answer: route the message as usual


@pending.resumer("outlier")
@pending.resumer("unsure")
def outlier_answer(message: Message, ctx: Ctx, state: dict):
    """``đúng`` counts the waiting report (once: it is confirmed only while still pending)."""
    report = _pending(ctx, state)
    if report is None:
        pending.clear(ctx, message.sender_id)
        return None
    answer = _answer(message)
    if answer in _CORRECT:
        return _settle(message, ctx, report, "active", "confirm")
    if answer in _WRONG:  # "không" answers "Đúng không?": it is no nil report, the report still waits
        return Reply("report_still_waiting")
    return None  # "sửa …", "huỷ" or a new report route as usual


@pending.resumer("which_chapter")
def which_chapter(message: Message, ctx: Ctx, state: dict):
    chapters = ctx.head_chapters
    answer = fold(message.text.strip()).replace(" ", "")
    for chapter in chapters:
        if answer in (fold(chapter.code).replace(" ", ""), fold(chapter.name).replace(" ", "")):
            pending.clear(ctx, message.sender_id)
            original = Message(
                message.channel, message.event_name, state["msg_id"], message.sender_id, state["msg_id"],
                state["text"], datetime.fromisoformat(state["sent_at"]),
            )  # fmt: skip
            return record(original, ctx, chapter, state["text"])
    return None  # not an answer: route the message as usual
