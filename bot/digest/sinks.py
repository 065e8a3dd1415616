"""Where an organization's digest goes: one ``DigestSink`` interface, three implementations.

- ``fanout``: a CS message (``/v3.0/oa/message/cs``) to each committee member. Members outside
  Zalo's 7-day window, known beforehand or learned from a -230/-232 answer, are skipped.
- ``gmf_group``: ``/v3.0/oa/group/message`` to the OA's own GMF group (``org.group_id``).
- ``bot_group``: Zalo Bot ``sendMessage`` to the group chat the bot was added to.

Every message goes through the outbox: recorded once under a key per recipient, then delivered
(a retried job sends only what is still pending). Whatever could not be delivered is reported
to the admins in a short notice (docs/zalo-platform.md#reaching-the-committee).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.digest.facts import committee_reachability
from bot.outbound import outbox
from bot.render import render
from bot.storage.models import Organization, OutboundMessage
from bot.storage.store import insert_ignore, outbound_for
from bot.zalo import errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dest:
    """One place a digest goes: ``channel`` "oa" | "group" | "bot" and the id there."""

    channel: str
    recipient: str
    name: str
    skip: str | None = None  # why we do not even try: "window" | "no_group"


@dataclass
class Outcome:
    """What became of one digest: who has it, who Zalo would not let us reach, what failed."""

    sent: list[Dest] = field(default_factory=list)
    unreachable: list[Dest] = field(default_factory=list)
    failed: list[tuple[Dest, str]] = field(default_factory=list)  # (dest, "code message")
    pending: list[Dest] = field(default_factory=list)


class DigestSink(ABC):
    """Records a digest's messages for its destinations, delivers them, reports the outcome."""

    kind: str = ""
    charts: bool = False  # can this sink carry an image after the text?

    def __init__(self, org: Organization):
        self.org = org

    @abstractmethod
    def destinations(self, session: Session, now: datetime) -> list[Dest]:
        """Where the digest goes today, and who is skipped beforehand (``Dest.skip``)."""

    def prefix(self, day: date, kind: str = "digest") -> str:
        return f"{kind}:{self.org.id}:{day.isoformat()}:"

    def record(self, session: Session, day: date, text: str, now: datetime, kind: str = "digest") -> None:
        """Record ``text`` for every destination once; a skipped one gets an "unreachable" row."""
        for dest in self.destinations(session, now):
            key = f"{self.prefix(day, kind)}{dest.recipient}"
            if dest.skip:
                insert_ignore(session, OutboundMessage, dict(
                    dedup_key=f"{key}:0", channel=dest.channel, recipient=dest.recipient, kind=kind,
                    text=text[:2000], status="unreachable", error=f"skipped: {dest.skip}",
                    created_at=now), ["dedup_key"])
            else:
                outbox.record(session, key=key, channel=dest.channel, recipient=dest.recipient,
                              kind=kind, text=text, now=now)

    def deliver(self, session: Session, sender, day: date, now: datetime, kind: str = "digest") -> Outcome:
        """Send what is still pending (transient Zalo errors raise: RQ retries the job)."""
        prefix = self.prefix(day, kind)
        rows = outbox.pending(session, prefix)
        if rows:
            outbox.deliver(session, sender, rows, now)
        return self.outcome(session, day, now, kind)

    def outcome(self, session: Session, day: date, now: datetime, kind: str = "digest") -> Outcome:
        names = {d.recipient: d for d in self.destinations(session, now)}
        by_recipient: dict[tuple[str, str], list[OutboundMessage]] = {}
        for row in outbound_for(session, self.prefix(day, kind)):
            by_recipient.setdefault((row.channel, row.recipient), []).append(row)
        result = Outcome()
        for (channel, recipient), rows in by_recipient.items():
            dest = names.get(recipient) or Dest(channel, recipient, recipient)
            statuses = {r.status for r in rows}
            if "unreachable" in statuses:
                result.unreachable.append(dest)
            elif "failed" in statuses:
                error = next(r.error for r in rows if r.status == "failed") or ""
                result.failed.append((dest, error))
            elif statuses == {"sent"}:
                result.sent.append(dest)
            else:
                result.pending.append(dest)
        return result

    def send_image(self, sender, dest: Dest, attachment_id: str) -> str | None:
        """Send an uploaded image to ``dest``; None where the sink cannot carry one."""
        return None


class FanoutSink(DigestSink):
    """A CS message to each committee member inside Zalo's 7-day window."""

    kind = "fanout"
    charts = True

    def destinations(self, session: Session, now: datetime) -> list[Dest]:
        dests = []
        for person, _role, identity, ok in committee_reachability(session, self.org.id, now):
            if identity is None:
                continue
            name = person.name or identity.display_name or identity.external_id
            dests.append(Dest("oa", identity.external_id, name, None if ok else "window"))
        return dests

    def send_image(self, sender, dest: Dest, attachment_id: str) -> str | None:
        return sender.oa.send_image(dest.recipient, attachment_id)


class GmfGroupSink(DigestSink):
    """The OA's own GMF group: no interaction window, but -403/-237 when the group is lost."""

    kind = "gmf_group"
    charts = True

    def destinations(self, session: Session, now: datetime) -> list[Dest]:
        gid = self.org.group_id
        return [Dest("group", gid or "-", "nhóm GMF", None if gid else "no_group")]

    def send_image(self, sender, dest: Dest, attachment_id: str) -> str | None:
        return sender.oa.send_group_image(dest.recipient, attachment_id)


class BotGroupSink(DigestSink):
    """A Zalo Bot added to the committee's existing group; text only (sendPhoto needs a URL)."""

    kind = "bot_group"

    def destinations(self, session: Session, now: datetime) -> list[Dest]:
        gid = self.org.group_id
        return [Dest("bot", gid or "-", "nhóm Zalo (Bot)", None if gid else "no_group")]


SINKS: dict[str, type[DigestSink]] = {s.kind: s for s in (FanoutSink, GmfGroupSink, BotGroupSink)}


def sink_for(org: Organization) -> DigestSink:
    try:
        return SINKS[org.digest_sink](org)
    except KeyError:
        raise ValueError(f"unknown digest sink {org.digest_sink!r} for {org.code}") from None


def admin_dests(session: Session, org: Organization, now: datetime) -> list[Dest]:
    """The organization's admins Zalo lets us message 1:1 now."""
    return [Dest("oa", identity.external_id, person.name or identity.display_name or identity.external_id)
            for person, role, identity, ok in committee_reachability(session, org.id, now)
            if role == "admin" and identity is not None and ok]


def tell_admins(session: Session, sender, org: Organization, key: str, template: str,
                context: dict, now: datetime, kind: str = "notice") -> int:
    """Record and send ``template`` to each reachable admin, once per ``key``; how many admins."""
    dests = admin_dests(session, org, now)
    text = render(template, **context)
    for dest in dests:
        outbox.record(session, key=f"{key}{dest.recipient}", channel="oa", recipient=dest.recipient,
                      kind=kind, text=text, now=now)
    session.commit()
    rows = outbox.pending(session, key)
    if rows:
        outbox.deliver(session, sender, rows, now)
    return len(dests)


def send_chart_once(session: Session, sender, sink: DigestSink, day: date, dests: list[Dest],
                    png: bytes, now: datetime) -> int:
    """Upload ``png`` and send it to each of ``dests`` at most once; failures are logged only."""
    if not sink.charts or not dests:
        return 0
    attachment_id = None
    sent = 0
    for dest in dests:
        key = f"chart:{sink.org.id}:{day.isoformat()}:{dest.recipient}"
        # Claimed before sending and never retried: a chart is a bonus, a duplicate is not.
        if not insert_ignore(session, OutboundMessage, dict(
                dedup_key=key, channel=dest.channel, recipient=dest.recipient, kind="chart",
                text="(biểu đồ)", status="sending", created_at=now, sent_at=now), ["dedup_key"]):
            session.commit()
            continue
        session.commit()
        status, error, message_id = "failed", None, None
        try:
            if attachment_id is None:
                attachment_id = sender.oa.upload_image(png, f"tong-hop-{day.isoformat()}.png")
            message_id = sink.send_image(sender, dest, attachment_id)
            status = "sent"
            sent += 1
        except (errors.ZaloError, ValueError) as exc:
            error = str(exc)[:500]
            log.warning("digest.chart_failed", extra={"org": sink.org.code, "error": error})
        session.execute(update(OutboundMessage).where(OutboundMessage.dedup_key == key).values(
            status=status, error=error, zalo_message_id=message_id))
        session.commit()
    return sent
