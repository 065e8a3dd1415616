"""``xã <tên hoặc mã>``: one commune's month for a province association's committee (its chapters
reported, its totals, its year against its targets). A commune's committee has no communes below it."""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.conversation.router import MEMBER, Reply, command
from bot.parsing.text import fold
from bot.periods import this_month, year_share
from bot.reporting import stats
from bot.web.events import Message
from handlers.chapter import find_chapters


@command("xã", "xa", roles=(MEMBER,))
def handle(message: Message, ctx: Ctx, args: str):
    communes = [c for org in ctx.committee_orgs for c in stats.child_orgs(ctx.session, org.id)]
    if not communes:
        return Reply("commune_none", {"orgs": ctx.committee_orgs})
    if not args.strip():
        return Reply("commune_choices", {"query": "", "communes": communes, "not_found": False})
    found = find_communes(args, communes)
    if len(found) != 1:
        return Reply("commune_choices", {"query": args, "communes": found or communes, "not_found": not found})
    return Reply("commune", commune_view(ctx, found[0]))


def find_communes(query: str, communes: list) -> list:
    """The communes ``query`` names (as ``find_chapters`` finds chapters), or else the one whose former
    names (a commune merged into it, ``gộp xã``) contain it."""
    found = find_chapters(query, communes)
    if found:
        return found
    compact = fold(query).replace(" ", "")
    return [c for c in communes if compact and any(compact in fold(a).replace(" ", "") for a in (c.aliases or []))]


def commune_view(ctx: Ctx, commune) -> dict:
    """The commune's month: chapters reported, totals, and the year against its targets."""
    session = ctx.session
    today = ctx.local_today(commune.timezone)
    month = this_month(today)
    scope = stats.subtree_ids(session, commune.id)
    catalog = commune.catalog
    found = stats.totals(session, scope, month.start, today, catalog=catalog)
    return {
        "org": commune,
        "month": month,
        "reported": len(stats.reporting_chapter_ids(session, scope, month.start, today)),
        "chapters": len(stats.chapters(session, scope)),
        "items": stats.total_views(found, catalog),
        "progress": stats.progress_views(stats.target_progress(session, commune, today), catalog),
        "year": today.year,
        "share": year_share(today),
    }
