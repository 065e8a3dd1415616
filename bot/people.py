"""How people are named to others: the name the committee gave them, else their Zalo display name."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Identity, Person


def name_of(session: Session, person_id: int | None) -> str:
    """A person's name for replies, the digest, the export and the audit log (never a raw id if avoidable)."""
    if person_id is None:
        return ""
    person = session.get(Person, person_id)
    if person is not None and person.name:
        return person.name
    identity = session.scalar(select(Identity).where(Identity.person_id == person_id).order_by(Identity.id))
    if identity is None:
        return ""
    if identity.display_name:
        return identity.display_name
    return f"Người dùng …{identity.external_id[-4:]}"
