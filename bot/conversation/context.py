"""What a handler gets besides the message: the session, settings, clock and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.config import Settings
from bot.storage.models import Chapter, Identity, Membership, Organization, Person


@dataclass
class Ctx:
    """Built once per event by ``for_sender``, complete: who is writing is known from the start."""

    session: Session
    settings: Settings
    redis: redis.Redis
    now: datetime  # aware UTC; injected so tests and replays are deterministic
    channel: str = "oa"
    event_id: int | None = None  # the stored inbound event being handled
    identity: Identity | None = None
    person: Person | None = None
    memberships: list[Membership] = field(default_factory=list)

    @classmethod
    def for_sender(cls, session: Session, settings: Settings, redis: redis.Redis, now: datetime, *,
                   channel: str, sender_id: str | None, event_id: int | None = None) -> Ctx:
        """The context of an event from ``sender_id`` on ``channel``: their identity, person and
        memberships (none when unknown, or when the event has no sender)."""
        identity = person = None
        memberships: list[Membership] = []
        if sender_id:
            # The identity and its person in one query (the person row is then in the session's map).
            found = session.execute(
                select(Identity, Person)
                .outerjoin(Person, Person.id == Identity.person_id)
                .where(Identity.channel == channel, Identity.external_id == sender_id)
            ).first()
            if found is not None:
                identity, person = found
                memberships = list(session.scalars(
                    select(Membership).where(Membership.person_id == identity.person_id).order_by(Membership.id)))
        return cls(session=session, settings=settings, redis=redis, now=now, channel=channel, event_id=event_id,
                   identity=identity, person=person, memberships=memberships)

    @cached_property
    def head_chapters(self) -> list[Chapter]:
        ids = [m.chapter_id for m in self.memberships if m.role == "head" and m.chapter_id]
        if not ids:
            return []
        # with their organizations (a report needs chapter.org): one query, not two
        return list(
            self.session.scalars(
                select(Chapter).where(Chapter.id.in_(ids), Chapter.active).order_by(Chapter.id).options(joinedload(Chapter.org))
            )
        )

    @cached_property
    def stopped_chapters(self) -> list[Chapter]:
        """Chapters this person heads that the committee stopped (``ngừng chi hội``)."""
        ids = [m.chapter_id for m in self.memberships if m.role == "head" and m.chapter_id]
        if not ids:
            return []
        return list(self.session.scalars(select(Chapter).where(Chapter.id.in_(ids), ~Chapter.active).order_by(Chapter.id)))

    @cached_property
    def admin_orgs(self) -> list[Organization]:
        ids = sorted({m.org_id for m in self.memberships if m.role == "admin"})
        return list(self.session.scalars(select(Organization).where(Organization.id.in_(ids)))) if ids else []

    @cached_property
    def committee_orgs(self) -> list[Organization]:
        ids = sorted({m.org_id for m in self.memberships if m.role in ("admin", "member")})
        return list(self.session.scalars(select(Organization).where(Organization.id.in_(ids)))) if ids else []

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person else None

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    def local_today(self, tz: str = "Asia/Ho_Chi_Minh") -> date:
        return self.now.astimezone(ZoneInfo(tz)).date()
