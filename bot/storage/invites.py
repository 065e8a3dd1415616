"""One-time registration codes: made by ``mời`` in chat or ``flask invite``, used once as ``đk <code>``.

Codes are 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), valid 7 days. A code
carries the role it gives (a chapter's head, a committee member, an admin) and, when the person
is already listed by name (``import-org``, ``invite --name``), that person.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.parsing.text import fold
from bot.storage.models import Identity, Invite, Membership, Person
from bot.storage.store import insert_ignore

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
VALID_FOR = timedelta(days=7)
ROLES = ("head", "member", "admin")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What the person typed, as stored: upper case, no spaces."""
    return "".join(text.split()).upper()[:16]


def create_invite(session: Session, *, org_id: int, role: str, now: datetime, chapter_id: int | None = None,
                  created_by: int | None = None, name: str | None = None) -> tuple[str, datetime]:
    """A fresh code for ``role`` in the organization (a head's for ``chapter_id``), and when it expires.

    ``name``: the person it is meant for; one already listed by that name (and not yet bound to
    any Zalo account) is the one the code binds."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if (role == "head") != (chapter_id is not None):
        raise ValueError("a head's code names a chapter, a committee code none")
    person = unbound_person(session, org_id, name) if name else None
    while True:  # a clash among 31^6 codes is rare; the unique index is the judge
        code = new_code()
        values = dict(code=code, org_id=org_id, chapter_id=chapter_id, role=role, created_by=created_by,
                      expires_at=now + VALID_FOR, person_id=person.id if person else None, name=name)
        if insert_ignore(session, Invite, values, ["code"]):
            return code, now + VALID_FOR


def unbound_person(session: Session, org_id: int, name: str) -> Person | None:
    """A person of the organization listed by this name and with no Zalo account yet."""
    return listed_person(session, org_id, name, unbound=True)


def listed_person(session: Session, org_id: int, name: str, *, unbound: bool = False) -> Person | None:
    """A person with a role in the organization under this name (case and diacritics aside)."""
    stmt = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.org_id == org_id)
        .order_by(Person.id)
    )
    if unbound:
        stmt = stmt.where(Person.id.not_in(select(Identity.person_id)))
    candidates = session.scalars(stmt).unique()
    wanted = " ".join(fold(name).split())
    return next((p for p in candidates if p.name and " ".join(fold(p.name).split()) == wanted), None)
