"""Registration: an admin's ``mời <mã chi hội>`` makes a one-time code; ``đk <code>`` binds the sender.

A code gives the role it was made for: a chapter's head (``mời <mã chi hội>``), a committee member
or an admin (``mời ban thường vụ``, ``mời admin``, ``flask invite``). Codes are valid 7 days and
used once (``bot.storage.invites``). Both sides are told: the new person in the reply, the admin
who invited by a separate message. Every registration is in the audit log.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.conversation.context import Ctx
from bot.conversation.router import ADMIN, ANYONE, Reply, command
from bot.people import name_of
from bot.reporting import stats
from bot.storage import audit
from bot.storage.invites import create_invite, normalise_code
from bot.storage.models import Chapter, Identity, Invite, Membership, Organization, Person
from bot.web.events import Message
from handlers.chapter import find_chapters

ROLE_VI = {"head": "chi hội trưởng", "member": "ủy viên Ban Thường vụ", "admin": "quản trị viên"}


@command("mời", "moi", roles=(ADMIN,))
def invite(message: Message, ctx: Ctx, args: str):
    orgs = ctx.admin_orgs
    chapters = [c for org in orgs for c in stats.chapters(ctx.session, org.id)]
    found = find_chapters(args, chapters) if args.strip() else []
    if len(found) != 1:
        return Reply("invite_which", {"query": args.strip(), "chapters": found or chapters, "not_found": not found})
    chapter = found[0]
    code, expires = create_invite(ctx.session, org_id=chapter.org_id, chapter_id=chapter.id, role="head",
                                  created_by=ctx.person_id, now=ctx.now)
    return Reply("invite", {"chapter": chapter, "code": code, "expires": expires})


@command("đk", "dk", "đăng ký", "dang ky", "đăng kí", "dang ki", roles=(ANYONE,))
def register(message: Message, ctx: Ctx, args: str):
    code = normalise_code(args)
    if not code:
        return Reply("register_bad_code", {"reason": "missing", "code": ""})
    row = ctx.session.scalar(select(Invite).where(Invite.code == code).with_for_update())
    if row is None:
        return Reply("register_bad_code", {"reason": "unknown", "code": code})
    chapter = ctx.session.get(Chapter, row.chapter_id) if row.chapter_id else None
    org = ctx.session.get(Organization, row.org_id)
    if _already(ctx, row):
        return Reply("register_bad_code", {"reason": "already", "code": code, "chapter": chapter,
                                           "role": ROLE_VI[row.role], "org": org})
    if row.used_at is not None:
        return Reply("register_bad_code", {"reason": "used", "code": code})
    if row.expires_at <= ctx.now:
        return Reply("register_bad_code", {"reason": "expired", "code": code, "expired": row.expires_at})
    if chapter is not None and not chapter.active:
        return Reply("register_bad_code", {"reason": "unknown", "code": code})

    person = _bind(ctx, message, row)
    _grant(ctx, person, row)
    row.used_by, row.used_at = person.id, ctx.now
    ctx.session.flush()
    who = name_of(ctx.session, person.id)
    role = ROLE_VI[row.role] + (f" {chapter.name}" if chapter else "")
    audit.record(ctx.session, org_id=org.id, person_id=person.id, at=ctx.now, action="đăng ký",
                 subject=who, after=f"{role} (mã {code})")
    if chapter is not None:
        replies = [Reply("register_done", {"chapter": chapter, "org": org, "several": len(ctx.head_chapters) > 1})]
    else:
        replies = [Reply("register_done_committee", {"org": org, "role": row.role})]
    admin = _notify_target(ctx, row.created_by)
    if admin is not None and row.created_by != person.id:
        replies.append(Reply("register_admin_notice", {"chapter": chapter, "code": code, "who": who,
                                                       "role": ROLE_VI[row.role]},
                             to=admin.external_id, channel=admin.channel, quote=False))
    return replies


def _already(ctx: Ctx, row: Invite) -> bool:
    """Whether the sender already has what the code gives (an admin already covers a member's code)."""
    if ctx.person is None:
        return False
    if row.role == "head":
        return any(c.id == row.chapter_id for c in ctx.head_chapters)
    wanted = {"admin"} if row.role == "admin" else {"admin", "member"}
    return any(m.org_id == row.org_id and m.role in wanted for m in ctx.memberships)


def _bind(ctx: Ctx, message: Message, row: Invite) -> Person:
    """The sender's person: theirs when known, else the one the code names, else a new one."""
    if ctx.person is not None:
        return ctx.person
    person = ctx.session.get(Person, row.person_id) if row.person_id else None
    if person is None:
        person = Person(name=row.name or message.display_name, created_at=ctx.now)
        ctx.session.add(person)
        ctx.session.flush()
    ctx.identity = Identity(
        person_id=person.id, channel=message.channel, external_id=message.sender_id,
        display_name=message.display_name, last_inbound_at=message.sent_at,
    )  # fmt: skip
    ctx.session.add(ctx.identity)
    ctx.session.flush()
    ctx.person = person
    ctx.memberships[:] = list(ctx.session.scalars(select(Membership).where(Membership.person_id == person.id)))
    return person


def _grant(ctx: Ctx, person: Person, row: Invite) -> None:
    """Add the code's role (an admin's code replaces a committee member's role)."""
    if row.role == "admin":
        ctx.session.execute(delete(Membership).where(
            Membership.person_id == person.id, Membership.org_id == row.org_id,
            Membership.chapter_id.is_(None), Membership.role == "member"))
    scope = Membership.chapter_id.is_(None) if row.chapter_id is None else Membership.chapter_id == row.chapter_id
    held = ctx.session.scalar(select(Membership.id).where(
        Membership.person_id == person.id, Membership.org_id == row.org_id, scope, Membership.role == row.role))
    if held is None:  # a person listed by name may hold the role already: the code only binds them
        ctx.session.add(Membership(person_id=person.id, org_id=row.org_id, chapter_id=row.chapter_id, role=row.role))
    ctx.session.flush()
    ctx.memberships[:] = list(ctx.session.scalars(select(Membership).where(Membership.person_id == person.id)))
    for cached in ("head_chapters", "admin_orgs", "committee_orgs"):
        ctx.__dict__.pop(cached, None)  # the cached roles changed


def _notify_target(ctx: Ctx, person_id: int | None) -> Identity | None:
    """Where to tell the admin who made the code: their OA identity first, else any."""
    if person_id is None:
        return None
    identities = ctx.session.scalars(select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)).all()
    return next((i for i in identities if i.channel == "oa"), identities[0] if identities else None)
