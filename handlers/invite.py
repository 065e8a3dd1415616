"""Registration: an admin's ``mời <mã chi hội>`` makes a one-time code; ``đk <code>`` binds a new head.

Codes are 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), valid 7 days, used once.
Both sides are told: the new head in the reply, the admin who invited by a separate message.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from bot.conversation.context import Ctx
from bot.conversation.router import ADMIN, ANYONE, Reply, command
from bot.reporting import stats
from bot.storage.models import Chapter, Identity, Invite, Membership, Person
from bot.storage.store import insert_ignore
from bot.web.events import Message
from handlers.chapter import find_chapters

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
VALID_FOR = timedelta(days=7)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What the person typed, as stored: upper case, no spaces."""
    return "".join(text.split()).upper()[:16]


@command("mời", "moi", roles=(ADMIN,))
def invite(message: Message, ctx: Ctx, args: str):
    orgs = ctx.admin_orgs
    chapters = [c for org in orgs for c in stats.chapters(ctx.session, org.id)]
    found = find_chapters(args, chapters) if args.strip() else []
    if len(found) != 1:
        return Reply("invite_which", {"query": args.strip(), "chapters": found or chapters, "not_found": not found})
    chapter = found[0]
    while True:  # a clash among 31^6 codes is rare; the unique index is the judge
        code = new_code()
        if insert_ignore(
            ctx.session,
            Invite,
            dict(code=code, org_id=chapter.org_id, chapter_id=chapter.id,
                 created_by=ctx.person.id if ctx.person else None, expires_at=ctx.now + VALID_FOR),
            ["code"],
        ):  # fmt: skip
            break
    return Reply("invite", {"chapter": chapter, "code": code, "expires": ctx.now + VALID_FOR})


@command("đk", "dk", "đăng ký", "dang ky", "đăng kí", "dang ki", roles=(ANYONE,))
def register(message: Message, ctx: Ctx, args: str):
    code = normalise_code(args)
    if not code:
        return Reply("register_bad_code", {"reason": "missing", "code": ""})
    invite_row = ctx.session.scalar(select(Invite).where(Invite.code == code).with_for_update())
    if invite_row is None:
        return Reply("register_bad_code", {"reason": "unknown", "code": code})
    chapter = ctx.session.get(Chapter, invite_row.chapter_id)
    if ctx.person is not None and any(c.id == chapter.id for c in ctx.head_chapters):
        return Reply("register_bad_code", {"reason": "already", "code": code, "chapter": chapter})
    if invite_row.used_at is not None:
        return Reply("register_bad_code", {"reason": "used", "code": code})
    if invite_row.expires_at <= ctx.now:
        return Reply("register_bad_code", {"reason": "expired", "code": code, "expired": invite_row.expires_at})

    person = ctx.person
    if person is None:
        person = Person(name=message.display_name, created_at=ctx.now)
        ctx.session.add(person)
        ctx.session.flush()
        ctx.identity = Identity(
            person_id=person.id, channel=message.channel, external_id=message.sender_id,
            display_name=message.display_name, last_inbound_at=message.sent_at,
        )  # fmt: skip
        ctx.session.add(ctx.identity)
        ctx.person = person
    membership = Membership(person_id=person.id, org_id=chapter.org_id, chapter_id=chapter.id, role="head")
    ctx.session.add(membership)
    invite_row.used_by, invite_row.used_at = person.id, ctx.now
    ctx.session.flush()
    ctx.memberships.append(membership)
    ctx.__dict__.pop("head_chapters", None)  # the cached roles changed

    who = person.name or (ctx.identity.display_name if ctx.identity else None)
    replies = [Reply("register_done", {"chapter": chapter, "org": chapter.org, "several": len(ctx.head_chapters) > 1})]
    admin = _notify_target(ctx, invite_row.created_by)
    if admin is not None:
        replies.append(
            Reply(
                "register_admin_notice",
                {"chapter": chapter, "code": code, "who": who},
                to=admin.external_id,
                channel=admin.channel,
                quote=False,
            )
        )
    return replies


def _notify_target(ctx: Ctx, person_id: int | None) -> Identity | None:
    """Where to tell the admin who made the code: their OA identity first, else any."""
    if person_id is None:
        return None
    identities = ctx.session.scalars(select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)).all()
    return next((i for i in identities if i.channel == "oa"), identities[0] if identities else None)
