"""The committee's audit log: every change made by chat or command line, who, when, what, before → after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.storage.models import AuditEntry


def record(session: Session, *, org_id: int, person_id: int | None, at: datetime, action: str, subject: str,
           before: str | None = None, after: str | None = None) -> AuditEntry:
    """Write one entry (in the caller's transaction, so it lands with the change or not at all)."""
    entry = AuditEntry(org_id=org_id, person_id=person_id, at=at, action=action, subject=subject[:200],
                       before=before, after=after)
    session.add(entry)
    session.flush()
    return entry
