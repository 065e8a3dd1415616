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
from bot.parsing import Catalog, catalog_for
from bot.storage.models import Chapter, Identity, Membership, Organization, Person


@dataclass
class Ctx:
    session: Session
    settings: Settings
    redis: redis.Redis
    now: datetime  # aware UTC; injected so tests and replays are deterministic
    channel: str = "oa"
    event_id: int | None = None  # the stored inbound event being handled
    identity: Identity | None = None
    person: Person | None = None
    memberships: list[Membership] = field(default_factory=list)

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

    def catalog_for(self, org: Organization) -> Catalog:
        return catalog_for(org.indicators)


def load_sender(ctx: Ctx, channel: str, external_id: str) -> None:
    """Fill in who is writing: their identity, person and roles (nothing when unknown)."""
    # The identity and its person in one query (the person row is then in the session's map).
    found = ctx.session.execute(
        select(Identity, Person)
        .outerjoin(Person, Person.id == Identity.person_id)
        .where(Identity.channel == channel, Identity.external_id == external_id)
    ).first()
    identity, person = found if found is not None else (None, None)
    ctx.channel = channel
    ctx.identity = identity
    if identity is None:
        return
    ctx.person = person
    ctx.memberships = list(
        ctx.session.scalars(select(Membership).where(Membership.person_id == identity.person_id).order_by(Membership.id))
    )
