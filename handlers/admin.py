"""The committee's administration by chat (admins only): invites for the committee, chapters, people,
targets and the digest hour. Committee members who are not admins get the usual refusal.

Every change is written to the audit log (``bot.storage.audit``) in the same transaction and
answered with what changed. Destructive changes (stop, merge, remove, hand over) and absurd
targets are asked first (``bot.conversation.pending``) and happen when the admin answers
``đúng`` within ``CONFIRM_FOR``; any other answer drops the question.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from rapidfuzz import fuzz, process
from sqlalchemy import delete, select, update

from bot.conversation import pending
from bot.conversation.context import Ctx
from bot.conversation.router import ADMIN, Reply, command
from bot.parsing.text import fold
from bot.people import name_of
from bot.storage import audit
from bot.storage.invites import create_invite, normalise_code
from bot.storage.models import Chapter, Invite, Membership, Organization, Person, Report, Target
from bot.web.events import Message
from handlers.chapter import _short, find_chapters

CONFIRM_FOR = timedelta(minutes=10)
CONFIRM = "admin_confirm"
YES = {"dung", "dong y", "ok", "co", "xac nhan", "yes"}
NO = {"huy", "khong", "thoi", "no"}
ROLE_VI = {"head": "chi hội trưởng", "member": "ủy viên Ban Thường vụ", "admin": "quản trị viên"}


# -- shared pieces -----------------------------------------------------------------------------

def org_of(ctx: Ctx) -> Organization:
    """The organization an admin administers (the first, when several)."""
    return ctx.admin_orgs[0]


def log(ctx: Ctx, org: Organization, action: str, subject: str, before: str | None, after: str | None) -> dict:
    """Audit one change and return what the reply shows of it."""
    audit.record(ctx.session, org_id=org.id, person_id=ctx.person_id, at=ctx.now, action=action,
                 subject=subject, before=before, after=after)
    return {"action": action, "subject": subject, "before": before, "after": after}


def locked(ctx: Ctx, row):
    """``row`` read again and locked until the transaction ends: of two admins changing the same thing
    at once, the second waits and sees the first one's result (its "before" in the audit log)."""
    ctx.session.refresh(row, with_for_update=True)
    return row


def all_chapters(ctx: Ctx, org: Organization) -> list[Chapter]:
    return list(ctx.session.scalars(select(Chapter).where(Chapter.org_id == org.id).order_by(Chapter.id)))


def closest(query: str, names: dict[str, object], limit: int = 3) -> list:
    """The ``limit`` entries whose names look most like ``query`` (rapidfuzz on folded text)."""
    folded = {fold(name): value for name, value in names.items()}
    found = process.extract(fold(query), list(folded), scorer=fuzz.WRatio, limit=limit * 2)
    out = []
    for key, _score, _i in found:
        if folded[key] not in out:
            out.append(folded[key])
    return out[:limit]


def find_chapter(ctx: Ctx, org: Organization, query: str, *, stopped: bool = False):
    """(the one chapter ``query`` names, None) or (None, a reply: not found with the closest, or which one).

    Active chapters and their aliases; with ``stopped``, stopped chapters too (not merged ones)."""
    chapters = [c for c in all_chapters(ctx, org) if c.active or (stopped and c.merged_into_id is None)]
    found = find_chapters(query, chapters) if query.strip() else []
    if len(found) == 1:
        return found[0], None
    if found:
        return None, Reply("admin_which", {"kind": "chi hội", "query": query, "matches": [c.name for c in found]})
    names = {c.name: c for c in chapters} | {c.code: c for c in chapters}
    matches = [c.name for c in closest(query, names)] if query.strip() else []
    return None, Reply("admin_not_found", {"kind": "chi hội", "query": query, "matches": matches})


def people_of(ctx: Ctx, org: Organization) -> dict[int, str]:
    """Person id -> name, for everyone with a role in the organization."""
    ids = ctx.session.scalars(select(Membership.person_id).where(Membership.org_id == org.id).distinct())
    return {pid: name_of(ctx.session, pid) for pid in sorted(ids)}


def find_person(ctx: Ctx, org: Organization, query: str):
    """(person id, None) or (None, a reply): exact folded name first, then names containing the query."""
    people = people_of(ctx, org)
    wanted = " ".join(fold(query).split())
    exact = [pid for pid, name in people.items() if " ".join(fold(name).split()) == wanted]
    found = exact or [pid for pid, name in people.items() if wanted and wanted in fold(name)]
    if len(found) == 1:
        return found[0], None
    if found:
        return None, Reply("admin_which", {"kind": "người", "query": query, "matches": [people[p] for p in found]})
    matches = closest(query, {name: name for name in people.values()}) if wanted else []
    return None, Reply("admin_not_found", {"kind": "người", "query": query, "matches": matches})


def split_on(args: str, word: str) -> tuple[str, str] | None:
    """``"A vào B"`` -> ("A", "B") for ``word`` "vào" (with or without diacritics), else None."""
    parts = re.split(rf"\s+(?:{word}|{fold(word)})\s+", args.strip(), maxsplit=1, flags=re.IGNORECASE)
    return (parts[0].strip(), parts[1].strip()) if len(parts) == 2 and parts[0].strip() and parts[1].strip() else None


def ask(ctx: Ctx, message: Message, action: str, question: dict, **state) -> Reply:
    """Ask the admin to confirm ``action``; it happens on ``đúng`` before ``CONFIRM_FOR`` is up."""
    expires = ctx.now + CONFIRM_FOR
    pending.ask(ctx, message.sender_id, CONFIRM, {"action": action, "expires": expires.isoformat(), **state})
    return Reply("admin_ask", {**question, "action": action, "minutes": int(CONFIRM_FOR.total_seconds() // 60)})


@pending.resumer(CONFIRM)
def confirmed(message: Message, ctx: Ctx, state: dict):
    """The admin's answer to a question ``ask`` put: ``đúng`` does it, ``huỷ`` drops it, else route as usual."""
    answer = " ".join(fold(message.text).strip(" ./!").split())
    if answer not in YES | NO:
        pending.clear(ctx, message.sender_id)
        return None
    pending.clear(ctx, message.sender_id)
    if answer in NO:
        return Reply("admin_cancelled", {})
    if ctx.now >= datetime.fromisoformat(state["expires"]) or not ctx.admin_orgs:
        return Reply("admin_expired", {"minutes": int(CONFIRM_FOR.total_seconds() // 60)})
    return ACTIONS[state["action"]](ctx, org_of(ctx), state)


# -- invites for the committee -----------------------------------------------------------------

@command("mời ban thường vụ", "moi ban thuong vu", "mời btv", "moi btv", roles=(ADMIN,))
def invite_member(message: Message, ctx: Ctx, args: str):
    return _invite_committee(ctx, "member")


@command("mời admin", "moi admin", "mời quản trị", "moi quan tri", roles=(ADMIN,))
def invite_admin(message: Message, ctx: Ctx, args: str):
    return _invite_committee(ctx, "admin")


def _invite_committee(ctx: Ctx, role: str) -> Reply:
    org = org_of(ctx)
    code, expires = create_invite(ctx.session, org_id=org.id, role=role, created_by=ctx.person_id, now=ctx.now)
    return Reply("invite_committee", {"org": org, "role": role, "code": code, "expires": expires})


# -- chapters ----------------------------------------------------------------------------------

@command("thêm chi hội", "them chi hoi", roles=(ADMIN,))
def add_chapter(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    m = re.match(r"^(?P<name>.+?)(?:\s+(?:mã|ma)\s+(?P<code>[A-Za-z0-9_-]+))?$", args.strip(), re.IGNORECASE)
    if m is None or not m.group("name").strip():
        return Reply("admin_usage", {"usage": "thêm chi hội <tên> [mã <MÃ>]", "example": "thêm chi hội thôn Gò Nổi mã GONOI"})
    name = " ".join(m.group("name").split())
    if not fold(name).startswith("chi hoi "):
        name = f"Chi hội {name}"
    chapters = all_chapters(ctx, org)
    same = next((c for c in chapters if c.active and _short(c.name) == _short(name)), None)
    if same is not None:
        return Reply("admin_refused", {"reason": "chapter_exists", "chapter": same.name, "code": same.code})
    code = (m.group("code") or _code_for(name, chapters)).upper()
    taken = next((c for c in chapters if c.code == code), None)
    if taken is not None:
        return Reply("admin_refused", {"reason": "code_taken", "chapter": taken.name, "code": code})
    kind = "school" if " truong " in f" {fold(name)} " else "village"
    chapter = Chapter(org_id=org.id, code=code, name=name, kind=kind, active=True, aliases=[])
    ctx.session.add(chapter)
    ctx.session.flush()
    return Reply("admin_done", log(ctx, org, "thêm chi hội", name, None, f"mã {code}"))


def _code_for(name: str, chapters: list[Chapter]) -> str:
    base = re.sub(r"[^A-Z0-9]", "", _short(name).upper())[:20] or "CHIHOI"
    codes = {c.code for c in chapters}
    code, n = base, 2
    while code in codes:
        code, n = f"{base}{n}", n + 1
    return code


@command("đổi tên chi hội", "doi ten chi hoi", roles=(ADMIN,))
def rename_chapter(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    parts = split_on(args, "thành")
    if parts is None:
        return Reply("admin_usage", {"usage": "đổi tên chi hội <tên|mã> thành <tên mới>",
                                     "example": "đổi tên chi hội NHIDINH1 thành Chi hội thôn Nhị Dinh"})
    chapter, reply = find_chapter(ctx, org, parts[0])
    if reply is not None:
        return reply
    new = " ".join(parts[1].split())
    if not fold(new).startswith("chi hoi "):
        new = f"Chi hội {new}"
    same = next((c for c in all_chapters(ctx, org) if c.active and c.id != chapter.id and _short(c.name) == _short(new)), None)
    if same is not None:
        return Reply("admin_refused", {"reason": "chapter_exists", "chapter": same.name, "code": same.code})
    old = locked(ctx, chapter).name
    chapter.aliases = [*(chapter.aliases or []), old]
    chapter.name = new
    return Reply("admin_done", log(ctx, org, "đổi tên chi hội", chapter.code, old, new))


@command("ngừng chi hội", "ngung chi hoi", roles=(ADMIN,))
def stop_chapter(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    chapter, reply = find_chapter(ctx, org, args)
    if reply is not None:
        return reply
    return ask(ctx, message, "stop", {"chapter": chapter.name}, chapter_id=chapter.id)


def do_stop(ctx: Ctx, org: Organization, state: dict) -> Reply:
    chapter = ctx.session.get(Chapter, state["chapter_id"], with_for_update=True, populate_existing=True)
    if chapter is None or not chapter.active:
        return Reply("admin_refused", {"reason": "already_stopped", "chapter": chapter.name if chapter else ""})
    chapter.active = False
    return Reply("admin_done", log(ctx, org, "ngừng chi hội", chapter.name, "đang hoạt động", "ngừng (giữ lịch sử)"))


@command("gộp chi hội", "gop chi hoi", roles=(ADMIN,))
def merge_chapter(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    parts = split_on(args, "vào")
    if parts is None:
        return Reply("admin_usage", {"usage": "gộp chi hội <A> vào <B>", "example": "gộp chi hội NHIDINH3 vào NHIDINH2"})
    source, reply = find_chapter(ctx, org, parts[0])
    if reply is not None:
        return reply
    target, reply = find_chapter(ctx, org, parts[1], stopped=True)
    if reply is not None:
        return reply
    if target.id == source.id:
        return Reply("admin_refused", {"reason": "merge_self", "chapter": source.name})
    if not target.active:
        return Reply("admin_refused", {"reason": "merge_stopped", "chapter": target.name})
    reports = ctx.session.query(Report).filter(Report.chapter_id == source.id).count()
    return ask(ctx, message, "merge", {"chapter": source.name, "into": target.name, "reports": reports},
               chapter_id=source.id, into_id=target.id)


def do_merge(ctx: Ctx, org: Organization, state: dict) -> Reply:
    source, target = (locked(ctx, ctx.session.get(Chapter, state[key])) for key in ("chapter_id", "into_id"))
    if not (source.active and target.active):
        return Reply("admin_refused", {"reason": "merge_stopped", "chapter": target.name if source.active else source.name})
    moved = ctx.session.execute(update(Report).where(Report.chapter_id == source.id).values(chapter_id=target.id)).rowcount
    _merge_targets(ctx, source, target)
    heads = ctx.session.scalars(select(Membership).where(Membership.chapter_id == source.id)).all()
    for m in heads:
        clash = ctx.session.scalar(select(Membership.id).where(
            Membership.person_id == m.person_id, Membership.chapter_id == target.id, Membership.role == m.role))
        if clash is None:
            m.chapter_id = target.id
        else:
            ctx.session.delete(m)
    ctx.session.execute(update(Invite).where(Invite.chapter_id == source.id, Invite.used_at.is_(None))
                        .values(chapter_id=target.id))
    target.aliases = [*(target.aliases or []), source.name, source.code, *(source.aliases or [])]
    source.active, source.merged_into_id = False, target.id
    return Reply("admin_done", log(ctx, org, "gộp chi hội", source.name, f"{source.name} ({moved} báo cáo)",
                                   f"thuộc {target.name}"))


def _merge_targets(ctx: Ctx, source: Chapter, target: Chapter) -> None:
    """The merged chapter's targets are added to the surviving chapter's, year by year."""
    theirs = {(t.year, t.indicator): t for t in ctx.session.scalars(select(Target).where(Target.chapter_id == target.id))}
    for t in ctx.session.scalars(select(Target).where(Target.chapter_id == source.id)).all():
        mine = theirs.get((t.year, t.indicator))
        if mine is None:
            t.chapter_id = target.id
        else:
            mine.target += t.target
            ctx.session.delete(t)
    ctx.session.flush()


@command("giao chi hội", "giao chi hoi", roles=(ADMIN,))
def hand_over(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    parts = split_on(args, "cho")
    if parts is None:
        return Reply("admin_usage", {"usage": "giao chi hội <tên|mã> cho <mã mời>", "example": "giao chi hội NHIDINH1 cho 7KQ2MX"})
    chapter, reply = find_chapter(ctx, org, parts[0])
    if reply is not None:
        return reply
    code = normalise_code(parts[1])
    row = ctx.session.scalar(select(Invite).where(Invite.code == code, Invite.org_id == org.id))
    if row is None or (row.used_at is None and row.expires_at <= ctx.now):
        return Reply("admin_refused", {"reason": "bad_code", "code": code})
    new = name_of(ctx.session, row.used_by) if row.used_by else f"người dùng mã {code}"
    return ask(ctx, message, "handover", {"chapter": chapter.name, "heads": _heads(ctx, chapter), "new": new},
               chapter_id=chapter.id, invite_id=row.id)


def _heads(ctx: Ctx, chapter: Chapter) -> str:
    ids = ctx.session.scalars(select(Membership.person_id).where(
        Membership.chapter_id == chapter.id, Membership.role == "head").order_by(Membership.id))
    return ", ".join(name_of(ctx.session, pid) for pid in ids) or "chưa có"


def do_handover(ctx: Ctx, org: Organization, state: dict) -> Reply:
    chapter = locked(ctx, ctx.session.get(Chapter, state["chapter_id"]))
    row = locked(ctx, ctx.session.get(Invite, state["invite_id"]))
    before = _heads(ctx, chapter)
    ctx.session.execute(delete(Membership).where(Membership.chapter_id == chapter.id, Membership.role == "head"))
    if row.used_by is not None:
        ctx.session.add(Membership(person_id=row.used_by, org_id=org.id, chapter_id=chapter.id, role="head"))
        after = name_of(ctx.session, row.used_by)
    else:
        row.role, row.chapter_id = "head", chapter.id
        after = f"người dùng mã {row.code}"
    ctx.session.flush()
    return Reply("admin_done", log(ctx, org, "giao chi hội", chapter.name, before, after))


# -- people ------------------------------------------------------------------------------------

@command("bỏ", "bo", roles=(ADMIN,))
def remove_person(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    if not args.strip():
        return Reply("admin_usage", {"usage": "bỏ <tên người>", "example": "bỏ Lê Văn Cường"})
    person_id, reply = find_person(ctx, org, args)
    if reply is not None:
        return reply
    roles = _roles_text(ctx, org, person_id)
    admins = set(ctx.session.scalars(select(Membership.person_id).where(
        Membership.org_id == org.id, Membership.role == "admin")))
    if admins == {person_id}:
        return Reply("admin_refused", {"reason": "last_admin", "person": name_of(ctx.session, person_id)})
    return ask(ctx, message, "remove", {"person": name_of(ctx.session, person_id), "roles": roles}, person_id=person_id)


def _roles_text(ctx: Ctx, org: Organization, person_id: int) -> str:
    rows = ctx.session.execute(select(Membership.role, Chapter.name).outerjoin(Chapter, Chapter.id == Membership.chapter_id)
                               .where(Membership.org_id == org.id, Membership.person_id == person_id)
                               .order_by(Membership.id)).all()
    return ", ".join(ROLE_VI.get(role, role) + (f" {name}" if name else "") for role, name in rows) or "không có vai trò"


def do_remove(ctx: Ctx, org: Organization, state: dict) -> Reply:
    person_id = state["person_id"]
    before = _roles_text(ctx, org, person_id)
    ctx.session.execute(delete(Membership).where(Membership.org_id == org.id, Membership.person_id == person_id))
    return Reply("admin_done", log(ctx, org, "bỏ vai trò", name_of(ctx.session, person_id), before, "không còn vai trò"))


@command("đổi tên", "doi ten", roles=(ADMIN,))
def rename_person(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    parts = split_on(args, "thành")
    if parts is None:
        return Reply("admin_usage", {"usage": "đổi tên <người> thành <tên>", "example": "đổi tên Người dùng …0001 thành Phạm Thị Hoa"})
    person_id, reply = find_person(ctx, org, parts[0])
    if reply is not None:
        return reply
    person = locked(ctx, ctx.session.get(Person, person_id))
    old, person.name = name_of(ctx.session, person_id), " ".join(parts[1].split())
    return Reply("admin_done", log(ctx, org, "đổi tên", old, old, person.name))


# -- the digest hour ---------------------------------------------------------------------------

@command("giờ tổng hợp", "gio tong hop", roles=(ADMIN,))
def digest_hour(message: Message, ctx: Ctx, args: str):
    org = org_of(ctx)
    m = re.match(r"^([01]?\d|2[0-3])\s*[:hg]\s*([0-5]\d)?$", args.strip(), re.IGNORECASE)
    if m is None:
        return Reply("admin_usage", {"usage": "giờ tổng hợp HH:MM", "example": "giờ tổng hợp 19:30"})
    new = f"{int(m.group(1)):02d}:{m.group(2) or '00'}"
    locked(ctx, org)
    old, org.digest_time = org.digest_time, new
    return Reply("admin_done", log(ctx, org, "đổi giờ tổng hợp", org.name, old, new))


ACTIONS = {"stop": do_stop, "merge": do_merge, "handover": do_handover, "remove": do_remove}
