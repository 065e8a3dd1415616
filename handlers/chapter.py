"""``chi hội <tên hoặc mã>``: one chapter's month, year against targets, and last report day."""

from __future__ import annotations

import difflib

from bot.conversation.context import Ctx
from bot.conversation.router import MEMBER, Reply, command
from bot.parsing.text import fold
from bot.reporting import stats
from bot.web.events import Message

_NAME_WORDS = ("chi hoi", "thon", "truong", "xom", "ap", "to dan pho")


def _short(name: str) -> str:
    """``Chi hội thôn Nông Sơn 1`` -> ``nong son 1``: what people actually type."""
    folded = " ".join(fold(name).split())
    changed = True
    while changed:
        changed = False
        for word in _NAME_WORDS:
            if folded.startswith(word + " "):
                folded, changed = folded[len(word) + 1 :], True
    return folded


def find_chapters(query: str, chapters: list) -> list:
    """The chapters ``query`` names: an exact code first, then a former name (alias), then names
    containing it, then close spellings."""
    q = " ".join(fold(query).split())
    compact = q.replace(" ", "")
    if not compact:
        return []
    exact = [c for c in chapters if fold(c.code).replace(" ", "") == compact or _short(c.name) == _short(q)]
    if exact:
        return exact
    # names it had before a rename or a merge (``gộp chi hội``)
    aliased = [c for c in chapters if any(fold(a).replace(" ", "") == compact or _short(a) == _short(q)
                                          for a in (getattr(c, "aliases", None) or []))]
    if aliased:
        return aliased
    words = set(q.split())
    found = [
        c
        for c in chapters
        if compact in fold(c.name).replace(" ", "")
        or compact in fold(c.code)
        or words <= set(fold(c.name).split())
    ]
    if found:
        return found
    keys = {}
    for c in chapters:
        keys[_short(c.name)] = c
        keys[fold(c.code)] = c
    close = difflib.get_close_matches(_short(q), list(keys), n=3, cutoff=0.7)
    return list(dict.fromkeys(keys[k] for k in close))


@command("chi hội", "chi hoi", roles=(MEMBER,))
def handle(message: Message, ctx: Ctx, args: str):
    orgs = ctx.committee_orgs
    chapters = [c for org in orgs for c in stats.chapters(ctx.session, stats.subtree_ids(ctx.session, org.id))]
    if not args.strip():
        return Reply("chapter_choices", {"query": "", "chapters": chapters})
    found = find_chapters(args, chapters)
    if len(found) != 1:
        return Reply("chapter_choices", {"query": args, "chapters": found or chapters, "not_found": not found})
    chapter = found[0]
    view = stats.chapter_view(ctx.session, chapter, ctx.local_today(chapter.org.timezone))
    return Reply("chapter", view)
