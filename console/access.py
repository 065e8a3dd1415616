"""Who may see what in the console: the organizations a person's roles cover, and in each one
whether they are an admin (changes), a committee member (reads everything) or a head (only their
own chapters). Anything outside that answers 404, never a hint that it exists."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Chapter, Membership, Organization, Person, Report

ADMIN, MEMBER, HEAD = "admin", "member", "head"


@dataclass
class Access:
    """One person in one organization: their strongest role, and the chapters they may see."""

    org: Organization
    role: str  # admin | member | head
    chapter_ids: list[int] | None  # None: every chapter (the committee)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def sees(self, chapter_id: int) -> bool:
        return self.chapter_ids is None or chapter_id in self.chapter_ids


def memberships(session: Session, person_id: int) -> list[Membership]:
    return list(session.scalars(select(Membership).where(Membership.person_id == person_id).order_by(Membership.id)))


def person(session: Session, person_id: int) -> Person | None:
    """The person if they still hold some role (a removed member's session opens nothing)."""
    if not memberships(session, person_id):
        return None
    return session.get(Person, person_id)


def organizations(session: Session, person_id: int) -> list[Organization]:
    ids = sorted({m.org_id for m in memberships(session, person_id)})
    return list(session.scalars(select(Organization).where(Organization.id.in_(ids)).order_by(Organization.id)))


def access_for(session: Session, person_id: int, org_code: str) -> Access | None:
    org = session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        return None
    roles = [m for m in memberships(session, person_id) if m.org_id == org.id]
    kinds = {m.role for m in roles}
    if ADMIN in kinds:
        return Access(org, ADMIN, None)
    if MEMBER in kinds:
        return Access(org, MEMBER, None)
    heads = sorted(m.chapter_id for m in roles if m.role == HEAD and m.chapter_id)
    return Access(org, HEAD, heads) if heads else None


def access_or_404(session: Session, person_id: int, org_code: str) -> Access:
    found = access_for(session, person_id, org_code)
    if found is None:
        abort(404)
    return found


def visible_chapters(session: Session, access: Access) -> list[Chapter]:
    stmt = select(Chapter).where(Chapter.org_id == access.org.id).order_by(Chapter.id)
    if access.chapter_ids is not None:
        stmt = stmt.where(Chapter.id.in_(access.chapter_ids))
    return list(session.scalars(stmt))


def chapter_or_404(session: Session, access: Access, chapter_id: int) -> Chapter:
    chapter = session.get(Chapter, chapter_id)
    if chapter is None or chapter.org_id != access.org.id or not access.sees(chapter.id):
        abort(404)
    return chapter


def report_or_404(session: Session, access: Access, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None or report.org_id != access.org.id or not access.sees(report.chapter_id):
        abort(404)
    return report
