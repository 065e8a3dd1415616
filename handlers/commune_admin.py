"""``gộp xã <A> vào <B>`` (an admin of a province association): after ``đúng``, every chapter,
report, target, head and committee role of commune A belongs to commune B; A's names and codes
stay as B's aliases (``xã`` finds B by them) and A is marked merged, so B's figures are the sum of
both, history included. Asked and audited like ``gộp chi hội`` (``handlers.admin``)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from bot.conversation.context import Ctx
from bot.conversation.router import ADMIN, Reply, command
from bot.reporting import stats
from bot.storage.models import Chapter, Invite, Membership, Organization, Report, ReportChange, Target
from bot.web.events import Message
from handlers import admin
from handlers.commune import find_communes


def _find(ctx: Ctx, province: Organization, query: str):
    """(the one commune of ``province`` that ``query`` names, None) or (None, a reply)."""
    communes = stats.child_orgs(ctx.session, province.id)
    found = find_communes(query, communes) if query.strip() else []
    if len(found) == 1:
        return found[0], None
    if found:
        return None, Reply("admin_which", {"kind": "xã", "query": query, "matches": [c.name for c in found]})
    names = {c.name: c for c in communes} | {c.code: c for c in communes}
    matches = [c.name for c in admin.closest(query, names)] if query.strip() and names else []
    return None, Reply("admin_not_found", {"kind": "xã", "query": query, "matches": matches})


@command("gộp xã", "gop xa", roles=(ADMIN,))
def merge_commune(message: Message, ctx: Ctx, args: str):
    province = admin.org_of(ctx)
    if not stats.child_orgs(ctx.session, province.id):
        return Reply("commune_none", {"orgs": [province]})
    parts = admin.split_on(args, "vào")
    if parts is None:
        return Reply("admin_usage", {"usage": "gộp xã <A> vào <B>", "example": "gộp xã Điện Hồng vào Điện Phước"})
    source, reply = _find(ctx, province, parts[0])
    if reply is not None:
        return reply
    target, reply = _find(ctx, province, parts[1])
    if reply is not None:
        return reply
    if target.id == source.id:
        return Reply("admin_refused", {"reason": "merge_self", "chapter": source.name})
    chapters = len(stats.chapters(ctx.session, source.id))
    reports = ctx.session.query(Report).filter(Report.org_id == source.id).count()
    return admin.ask(ctx, message, "merge_commune",
                     {"chapter": source.name, "into": target.name, "reports": reports, "chapters": chapters},
                     org_id=source.id, into_id=target.id)


def do_merge_commune(ctx: Ctx, province: Organization, state: dict) -> Reply:
    """Move commune ``org_id`` under commune ``into_id``, in this transaction, audited on the province."""
    source, target = (admin.locked(ctx, ctx.session.get(Organization, state[key])) for key in ("org_id", "into_id"))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        gone = source if source.merged_into_id is not None else target
        return Reply("admin_refused", {"reason": "merge_stopped", "chapter": gone.name})
    session = ctx.session
    codes = set(session.scalars(select(Chapter.code).where(Chapter.org_id == target.id)))
    chapters = session.scalars(select(Chapter).where(Chapter.org_id == source.id).order_by(Chapter.id)).all()
    for chapter in chapters:  # a code B already has gets a free suffix; the old code stays an alias
        if chapter.code in codes:
            n = 2
            while f"{chapter.code}{n}" in codes:
                n += 1
            chapter.aliases = [*(chapter.aliases or []), chapter.code]
            chapter.code = f"{chapter.code}{n}"
        codes.add(chapter.code)
        chapter.org_id = target.id
    session.flush()
    moved = session.execute(update(Report).where(Report.org_id == source.id).values(org_id=target.id)).rowcount
    session.execute(update(ReportChange).where(ReportChange.org_id == source.id).values(org_id=target.id))
    session.execute(update(Invite).where(Invite.org_id == source.id).values(org_id=target.id))
    _move_targets(ctx, source, target)
    _move_memberships(ctx, source, target)
    target.aliases = [*(target.aliases or []), source.name, source.code, *(source.aliases or [])]
    source.merged_into_id = target.id
    return Reply("admin_done", admin.log(ctx, province, "gộp xã", source.name,
                                         f"{source.name} ({len(chapters)} chi hội, {moved} báo cáo)",
                                         f"thuộc {target.name}"))


def _move_targets(ctx: Ctx, source: Organization, target: Organization) -> None:
    """Chapter targets move with their chapters; A's own targets are added to B's own, where B has one
    (else B's chapters' sum, now with A's chapters, stands)."""
    session = ctx.session
    session.execute(update(Target).where(Target.org_id == source.id, Target.chapter_id.is_not(None))
                    .values(org_id=target.id))
    theirs = {(t.year, t.indicator): t for t in session.scalars(
        select(Target).where(Target.org_id == target.id, Target.chapter_id.is_(None)))}
    for t in session.scalars(select(Target).where(Target.org_id == source.id, Target.chapter_id.is_(None))).all():
        mine = theirs.get((t.year, t.indicator))
        if mine is not None:
            mine.target += t.target
        session.delete(t)
    session.flush()


def _move_memberships(ctx: Ctx, source: Organization, target: Organization) -> None:
    """Heads and committee roles of A become the same roles in B (a role held in both stays one)."""
    session = ctx.session
    for m in session.scalars(select(Membership).where(Membership.org_id == source.id)).all():
        clash = session.scalar(select(Membership.id).where(
            Membership.person_id == m.person_id, Membership.org_id == target.id, Membership.role == m.role,
            Membership.chapter_id.is_(None) if m.chapter_id is None else Membership.chapter_id == m.chapter_id))
        if clash is None:
            m.org_id = target.id
        else:
            session.delete(m)
    session.execute(delete(Membership).where(Membership.org_id == source.id))
    session.flush()


admin.ACTIONS["merge_commune"] = do_merge_commune
