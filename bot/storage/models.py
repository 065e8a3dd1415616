"""SQLAlchemy models: organizations, chapters, people, reports and the logs that keep work exactly-once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.parsing import Catalog, catalog_for


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Ids are BigInteger on PostgreSQL but INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    digest_time: Mapped[str] = mapped_column(String(5), default="20:00")  # local HH:MM
    digest_sink: Mapped[str] = mapped_column(String(20), default="fanout")
    group_id: Mapped[str | None] = mapped_column(String(64))
    reminder_weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    reminder_time: Mapped[str | None] = mapped_column(String(5))
    indicators: Mapped[list] = mapped_column(JSON, default=list)  # the org's own indicators
    # the association above this one (a province above its communes); None at the top
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # a commune merged into another (``gộp xã``): its former names and codes live on the successor
    aliases: Mapped[list | None] = mapped_column(JSON, default=list)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    chapters: Mapped[list[Chapter]] = relationship(back_populates="org", order_by="Chapter.id")

    @property
    def catalog(self) -> Catalog:
        """The indicators this organization counts: the default ones plus its own."""
        return catalog_for(self.indicators)


class Chapter(Base):
    __tablename__ = "chapters"
    __table_args__ = (UniqueConstraint("org_id", "code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="village")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Names it was known by before a rename or a merge (``gộp chi hội``): ``chi hội <old name>`` finds it.
    aliases: Mapped[list | None] = mapped_column(JSON, default=list)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("chapters.id"))
    org: Mapped[Organization] = relationship(back_populates="chapters")


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Identity(Base):
    """A person's id on one channel: the OA-scoped user id, or a Zalo Bot chat id."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # "oa" | "bot"
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(200))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when Zalo refused a send because of its 7-day window (-230/-232); cleared on inbound.
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Membership(Base):
    """A role: head of a chapter, or committee member/admin of an organization."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "org_id", "chapter_id", "role"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    chapter_id: Mapped[int | None] = mapped_column(ForeignKey("chapters.id"))
    role: Mapped[str] = mapped_column(String(10))  # "head" | "member" | "admin"


class Target(Base):
    """A yearly target (chỉ tiêu) for one chapter and indicator, or (no chapter) for the whole organization."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("chapter_id", "year", "indicator"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    chapter_id: Mapped[int | None] = mapped_column(ForeignKey("chapters.id"))
    year: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(64))
    target: Mapped[int] = mapped_column(BigInteger)


class InboundEvent(Base):
    """Every accepted Zalo event, raw, once: (channel, event_key) is the database's dedup key."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel", "event_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    event_key: Mapped[str] = mapped_column(String(128))
    event_name: Mapped[str] = mapped_column(String(64))
    sender_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Report(Base):
    """One chapter's report on a date; totals are sums over active reports' items."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_org_date", "org_id", "report_date", "status"),
        Index("ix_reports_chapter_date", "chapter_id", "report_date"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The message it came from: one report per message at most, whatever is redelivered.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_events.id"), unique=True)
    report_date: Mapped[date] = mapped_column(Date)
    raw_text: Mapped[str] = mapped_column(Text)
    # active | cancelled | replaced | pending (awaiting the head's confirmation)
    status: Mapped[str] = mapped_column(String(12), default="active")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    items: Mapped[list[ReportItem]] = relationship(
        back_populates="report", order_by="ReportItem.id", cascade="all, delete-orphan"
    )


class ReportItem(Base):
    __tablename__ = "report_items"
    __table_args__ = (Index("ix_items_report_indicator", "report_id", "indicator"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    indicator: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    value_vnd: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str | None] = mapped_column(Text)
    report: Mapped[Report] = relationship(back_populates="items")


class ReportChange(Base):
    """History of cancellations and corrections: who, when, before and after."""

    __tablename__ = "report_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    new_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))  # cancel | correct
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class OutboundMessage(Base):
    """Every message we send, keyed so that a retried job never sends the same thing twice."""

    __tablename__ = "outbound_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # reply | digest | reminder | notice
    quote_id: Mapped[str | None] = mapped_column(String(64))  # the msg_id a reply quotes
    text: Mapped[str] = mapped_column(Text)
    # pending | sending | sent | unreachable | failed
    status: Mapped[str] = mapped_column(String(12), default="pending")
    zalo_message_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DigestLog(Base):
    """One row per organization, day and kind: the insert is what makes a digest go out once."""

    __tablename__ = "digest_log"
    __table_args__ = (UniqueConstraint("org_id", "day", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))  # digest | reminder
    status: Mapped[str] = mapped_column(String(12), default="started")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Invite(Base):
    """A one-time code (``mời``, ``flask invite``) used as ``đk <code>``: a chapter's head, a committee
    member or an admin; ``person_id`` when it binds a person already listed by name."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    chapter_id: Mapped[int | None] = mapped_column(ForeignKey("chapters.id"))
    role: Mapped[str] = mapped_column(String(10), default="head")  # head | member | admin
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One change the committee made by chat or command line: who, when, what, before → after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_org_at", "org_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class ZaloToken(Base):
    """The OA token pair. Refresh tokens are single-use: the new pair is saved before it is used."""

    __tablename__ = "zalo_tokens"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # "oa"
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when Zalo rejected the refresh token: sends stop until an admin redoes the consent.
    broken_reason: Mapped[str | None] = mapped_column(Text)
