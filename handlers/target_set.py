"""``chỉ tiêu <chỉ số> <số> [cho <chi hội>]`` (admins): the year's target for the organization or a chapter.

``chỉ tiêu`` alone (or with a year) shows progress (``handlers.targets``); with an indicator and a
number it sets. A figure that is not a number or is negative is refused; one more than 1.000 times
last year's (target, else what was done) is asked about first.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from bot.conversation.context import Ctx
from bot.conversation.router import Reply
from bot.parsing.text import fold
from bot.render import number
from bot.reporting import stats
from bot.storage.models import Chapter, Organization, Target
from bot.web.events import Message
from handlers import admin

ABSURD = 1000
_AMOUNT = re.compile(r"^(-?)([\d.,]+)(tr|trieu|k|nghin|ngan|ty)?$")
_MULTIPLIER = {"tr": 1_000_000, "trieu": 1_000_000, "k": 1000, "nghin": 1000, "ngan": 1000, "ty": 1_000_000_000}


def amount(text: str) -> int | None:
    """``1.000`` -> 1000, ``10tr`` -> 10000000, ``-5`` -> -5; None when it is no number."""
    m = _AMOUNT.match(fold(text).replace(" ", ""))
    if m is None or not any(ch.isdigit() for ch in m.group(2)):
        return None
    sign, digits, unit = m.groups()
    if unit:
        try:
            value = float(digits.replace(".", "").replace(",", ".")) if "," in digits else float(digits)
        except ValueError:
            return None
        value *= _MULTIPLIER[unit]
    else:
        value = int(digits.replace(".", "").replace(",", ""))
    return int(-value if sign else value)


def indicator_for(org: Organization, text: str):
    """The indicator ``text`` names (its code, name or any alias), or None."""
    wanted = " ".join(fold(text).split())
    for ind in org.catalog:
        names = {ind.code, ind.name, *ind.aliases}
        if wanted in {" ".join(fold(n).split()) for n in names}:
            return ind
    return None


def handle(message: Message, ctx: Ctx, args: str):
    if not ctx.admin_orgs:
        return Reply("admin_refused", {"reason": "not_admin", "command": "chỉ tiêu"})
    org = admin.org_of(ctx)
    parts = admin.split_on(args, "cho")
    what, where = parts if parts else (args.strip(), None)
    words = what.split()
    if len(words) < 2:
        return Reply("admin_usage", {"usage": "chỉ tiêu <chỉ số> <số> [cho <chi hội>]", "example": "chỉ tiêu máu 100"})
    indicator = indicator_for(org, " ".join(words[:-1]))
    if indicator is None:
        return Reply("admin_refused", {"reason": "unknown_indicator", "query": " ".join(words[:-1]),
                                       "choices": [i.name for i in org.catalog]})
    value = amount(words[-1])
    if value is None:
        return Reply("admin_refused", {"reason": "not_a_number", "query": words[-1]})
    if value < 0:
        return Reply("admin_refused", {"reason": "negative", "query": words[-1]})
    chapter = None
    if where:
        chapter, reply = admin.find_chapter(ctx, org, where)
        if reply is not None:
            return reply
    year = ctx.local_today(org.timezone).year
    state = {"indicator": indicator.code, "value": value, "chapter_id": chapter.id if chapter else None, "year": year}
    last = _last_year(ctx, org, indicator.code, chapter, year)
    if last and value > ABSURD * last:
        return admin.ask(ctx, message, "target", {"indicator": indicator.name, "value": value, "last": last,
                                                  "chapter": chapter.name if chapter else None}, **state)
    return do_target(ctx, org, state)


def _last_year(ctx: Ctx, org: Organization, code: str, chapter: Chapter | None, year: int) -> int:
    """Last year's target for the same scope, else what was done last year."""
    ids = [chapter.id] if chapter else None
    target = stats.targets(ctx.session, org.id, year - 1, ids).get(code)
    if target:
        return target
    done = stats.totals(ctx.session, org.id, date(year - 1, 1, 1), date(year - 1, 12, 31), ids, org.catalog)
    return done[code].measure(org.catalog) if code in done else 0


def do_target(ctx: Ctx, org: Organization, state: dict) -> Reply:
    chapter = ctx.session.get(Chapter, state["chapter_id"]) if state["chapter_id"] else None
    scope = Target.chapter_id == chapter.id if chapter else Target.chapter_id.is_(None)
    row = ctx.session.scalar(select(Target).where(Target.org_id == org.id, scope, Target.year == state["year"],
                                                  Target.indicator == state["indicator"]).with_for_update())
    before = number(row.target) if row else "chưa có"
    if row is None:
        row = Target(org_id=org.id, chapter_id=chapter.id if chapter else None, year=state["year"],
                     indicator=state["indicator"], target=state["value"])
        ctx.session.add(row)
    row.target = state["value"]
    ctx.session.flush()
    ind = org.catalog.get(state["indicator"])
    subject = f"{ind.name if ind else state['indicator']} năm {state['year']}, {chapter.name if chapter else org.name}"
    return Reply("admin_done", admin.log(ctx, org, "đặt chỉ tiêu", subject, before, number(state["value"])))


admin.ACTIONS["target"] = do_target
