"""Importing an organization from YAML (``flask --app app import-org``), idempotently.

Running the same file twice changes nothing; a changed file updates what changed. People and
roles are only added or updated here, never removed: heads registered in chat (``đk``) stay.
A person may be listed by name alone (no Zalo id: nobody knows it before they write to the OA);
an invite code made for that name (``flask invite --name``) binds them later.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.parsing import Catalog
from bot.storage.invites import listed_person, unbound_person
from bot.storage.models import Chapter, Identity, Membership, Organization, Person, Target

SINKS = {"fanout", "gmf_group", "bot_group"}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class OrgFileError(ValueError):
    """The YAML does not describe an organization we can import; the message says why."""


def load_org_file(path: str) -> dict:
    """The one organization of a file with a top-level ``organization`` mapping."""
    specs = load_org_files(path)
    if len(specs) != 1:
        raise OrgFileError("the file holds several organizations: import it whole (load_org_files)")
    return specs[0]


def load_org_files(path: str) -> list[dict]:
    """The organizations of a file: its ``organization`` mapping, or its ``organizations`` list
    (parents first, as they are imported in that order)."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if isinstance(data, dict) and isinstance(data.get("organization"), dict):
        return [data["organization"]]
    many = data.get("organizations") if isinstance(data, dict) else None
    if isinstance(many, list) and many and all(isinstance(spec, dict) for spec in many):
        return many
    raise OrgFileError("the file must have a top-level 'organization' mapping or an 'organizations' list")


def import_orgs(session: Session, specs: list[dict], now: datetime) -> list[Organization]:
    """Each organization of a file, in the file's order (a parent before the ones under it)."""
    return [import_org(session, spec, now) for spec in specs]


def _require(mapping: dict, key: str, where: str):
    value = mapping.get(key)
    if value in (None, ""):
        raise OrgFileError(f"{where}: '{key}' is required")
    return value


def _set(obj, **values) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def person_for(session: Session, channel: str, external_id: str, name: str | None, now: datetime) -> Person:
    """The person behind a channel id, created on first sight."""
    identity = session.scalar(
        select(Identity).where(Identity.channel == channel, Identity.external_id == external_id)
    )
    if identity is not None:
        person = session.get(Person, identity.person_id)
        if name and person.name != name:
            person.name = name
        return person
    person = Person(name=name, created_at=now)
    session.add(person)
    session.flush()
    session.add(Identity(person_id=person.id, channel=channel, external_id=external_id))
    session.flush()
    return person


def person_named(session: Session, org_id: int, name: str, now: datetime) -> Person:
    """The person of the organization listed by ``name`` alone (no Zalo id in the file), created on
    first sight; once a code bound them, the same person (the file does not add them again)."""
    person = unbound_person(session, org_id, name) or listed_person(session, org_id, name)
    if person is None:
        person = Person(name=name, created_at=now)
        session.add(person)
        session.flush()
    return person


def _person_entry(session: Session, org_id: int, entry, now: datetime, where: str) -> Person:
    """A person given as a Zalo id (a string), or a mapping with ``zalo_user_id`` and/or ``name``."""
    if not isinstance(entry, dict):
        return person_for(session, "oa", str(entry), None, now)
    uid, name = entry.get("zalo_user_id"), entry.get("name")
    if uid:
        return person_for(session, "oa", str(uid), str(name) if name else None, now)
    if not name:
        raise OrgFileError(f"{where}: 'zalo_user_id' or 'name' is required")
    return person_named(session, org_id, str(name), now)


def _ensure_membership(session: Session, person_id: int, org_id: int, chapter_id, role: str) -> None:
    exists = session.scalar(
        select(Membership.id).where(
            Membership.person_id == person_id,
            Membership.org_id == org_id,
            Membership.chapter_id.is_(None) if chapter_id is None else Membership.chapter_id == chapter_id,
            Membership.role == role,
        )
    )
    if exists is None:
        session.add(Membership(person_id=person_id, org_id=org_id, chapter_id=chapter_id, role=role))


def import_org(session: Session, spec: dict, now: datetime) -> Organization:
    """Create or update the organization described by ``spec`` (the YAML's ``organization``)."""
    org = _upsert_org(session, spec)
    chapters = _upsert_chapters(session, org, spec.get("chapters") or [], now)
    _upsert_committee(session, org, spec.get("committee") or [], now)
    _upsert_targets(session, org, chapters, spec.get("targets") or {}, org.catalog)
    session.flush()
    return org


def _upsert_org(session: Session, spec: dict) -> Organization:
    """The organization row with the file's name, time zone, digest and reminder settings."""
    code = str(_require(spec, "code", "organization"))
    name = str(_require(spec, "name", "organization"))
    tz = str(spec.get("timezone") or "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(tz)
    except Exception as exc:
        raise OrgFileError(f"unknown timezone {tz!r}") from exc
    digest = spec.get("digest") or {}
    sink = str(digest.get("sink") or "fanout")
    if sink not in SINKS:
        raise OrgFileError(f"digest.sink must be one of {sorted(SINKS)}")
    digest_time = str(digest.get("time") or "20:00")
    if not _TIME.match(digest_time):
        raise OrgFileError("digest.time must be HH:MM")
    reminders = spec.get("reminders") or {}
    reminder_time = reminders.get("time")
    if reminder_time is not None and not _TIME.match(str(reminder_time)):
        raise OrgFileError("reminders.time must be HH:MM")

    org = session.scalar(select(Organization).where(Organization.code == code))
    parent_id = _parent_id(session, spec, code, org)
    if org is None:
        org = Organization(code=code, name=name)
        session.add(org)
    _set(
        org,
        name=name,
        parent_id=parent_id,
        timezone=tz,
        digest_time=digest_time,
        digest_sink=sink,
        group_id=str(digest["group_id"]) if digest.get("group_id") else None,
        reminder_weekday=int(reminders["weekday"]) if reminders.get("weekday") is not None else None,
        reminder_time=str(reminder_time) if reminder_time else None,
        indicators=list(spec.get("indicators") or []),
    )
    session.flush()
    return org


def _parent_id(session: Session, spec: dict, code: str, org: Organization | None) -> int | None:
    """The id of the organization the file names as ``parent`` (imported before), or None."""
    parent_code = spec.get("parent")
    if parent_code in (None, ""):
        return None
    parent_code = str(parent_code)
    if parent_code == code:
        raise OrgFileError(f"{code}: an organization cannot be its own parent")
    parent = session.scalar(select(Organization).where(Organization.code == parent_code))
    if parent is None:
        raise OrgFileError(f"{code}: unknown parent {parent_code!r} (list parents first)")
    above = parent
    while above is not None:  # no cycles: the parent must not sit under this organization
        if org is not None and above.id == org.id:
            raise OrgFileError(f"{code}: parent {parent_code!r} is under {code}")
        above = session.get(Organization, above.parent_id) if above.parent_id else None
    return parent.id


def _upsert_chapters(session: Session, org: Organization, entries: list, now: datetime) -> dict[str, Chapter]:
    """The organization's chapters by code (the file's, created or updated, and the others), with their heads."""
    chapters: dict[str, Chapter] = {c.code: c for c in session.scalars(select(Chapter).where(Chapter.org_id == org.id))}
    for entry in entries:
        ccode = str(_require(entry, "code", "chapter")).upper()
        chapter = chapters.get(ccode)
        if chapter is None:
            chapter = Chapter(org_id=org.id, code=ccode, name=str(_require(entry, "name", ccode)))
            session.add(chapter)
            chapters[ccode] = chapter
        _set(chapter, name=str(entry["name"]), kind=str(entry.get("kind") or "village"), active=True)
        session.flush()
        if entry.get("head"):
            head = _person_entry(session, org.id, entry["head"], now, f"{ccode}.head")
            _ensure_membership(session, head.id, org.id, chapter.id, "head")
    return chapters


def _upsert_committee(session: Session, org: Organization, members: list, now: datetime) -> None:
    """Each committee member with exactly the role the file gives them."""
    for member in members:
        role = str(member.get("role") or "member")
        if role not in ("admin", "member"):
            raise OrgFileError(f"committee role must be admin or member, not {role!r}")
        person = _person_entry(session, org.id, member, now, "committee member")
        for other in session.scalars(
            select(Membership).where(
                Membership.person_id == person.id,
                Membership.org_id == org.id,
                Membership.chapter_id.is_(None),
                Membership.role != role,
            )
        ):
            session.delete(other)
        _ensure_membership(session, person.id, org.id, None, role)


def _upsert_targets(session: Session, org: Organization, chapters: dict[str, Chapter], targets: dict,
                    catalog: Catalog) -> None:
    """The year's targets per chapter: the file's default, overridden per chapter code; and the
    organization's own (``organization:``, no chapter), as ``chỉ tiêu <chỉ số> <số>`` sets them."""
    if not targets:
        return
    year = int(_require(targets, "year", "targets"))
    default = targets.get("default") or {}
    overrides = {str(k).upper(): v for k, v in (targets.get("overrides") or {}).items()}
    unknown = [k for k in overrides if k not in chapters]
    if unknown:
        raise OrgFileError(f"targets.overrides name unknown chapters: {', '.join(unknown)}")
    existing = {
        (t.chapter_id, t.indicator): t
        for t in session.scalars(select(Target).where(Target.org_id == org.id, Target.year == year))
    }
    for ccode, chapter in chapters.items():
        wanted = {**default, **(overrides.get(ccode) or {})}
        for indicator, value in wanted.items():
            if catalog.get(indicator) is None:
                raise OrgFileError(f"targets name an unknown indicator: {indicator}")
            row = existing.get((chapter.id, indicator))
            if row is None:
                session.add(Target(org_id=org.id, chapter_id=chapter.id, year=year, indicator=indicator, target=int(value)))
            elif row.target != int(value):
                row.target = int(value)
    for indicator, value in (targets.get("organization") or {}).items():
        if catalog.get(indicator) is None:
            raise OrgFileError(f"targets name an unknown indicator: {indicator}")
        row = existing.get((None, indicator))
        if row is None:
            session.add(Target(org_id=org.id, chapter_id=None, year=year, indicator=indicator, target=int(value)))
        elif row.target != int(value):
            row.target = int(value)
