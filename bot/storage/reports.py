"""Report writes: a new report with its items, and the history of its changes (cancel, correct, confirm)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.storage.models import Report, ReportChange, ReportItem


def add_report(
    session: Session,
    *,
    org_id: int,
    chapter_id: int,
    person_id: int | None,
    event_id: int | None,
    report_date: date,
    raw_text: str,
    items,
    now: datetime,
    status: str = "active",
    replaces_id: int | None = None,
) -> Report:
    report = Report(
        org_id=org_id,
        chapter_id=chapter_id,
        person_id=person_id,
        event_id=event_id,
        report_date=report_date,
        raw_text=raw_text,
        status=status,
        replaces_id=replaces_id,
        created_at=now,
    )
    report.items = [
        ReportItem(indicator=i.indicator, quantity=i.quantity, value_vnd=i.value_vnd, source=i.source)
        for i in items
    ]
    session.add(report)
    session.flush()
    return report


def snapshot(report: Report) -> dict:
    """What a report said, for ReportChange.before/after."""
    return {
        "report_id": report.id,
        "report_date": report.report_date.isoformat(),
        "status": report.status,
        "raw_text": report.raw_text,
        "items": [
            {"indicator": i.indicator, "quantity": i.quantity, "value_vnd": i.value_vnd} for i in report.items
        ],
    }


def log_change(session: Session, report: Report, action: str, before: dict, after: dict | None = None, *,
               person_id: int | None, at: datetime, new_report_id: int | None = None) -> None:
    """Record one change of ``report`` by ``person_id`` (the before and after snapshots)."""
    session.add(
        ReportChange(
            report_id=report.id,
            new_report_id=new_report_id,
            org_id=report.org_id,
            action=action,
            person_id=person_id,
            at=at,
            before=before,
            after=after,
        )
    )
    session.flush()


def settle(session: Session, report: Report, status: str, action: str, *, person_id: int | None,
           at: datetime) -> bool:
    """Move a waiting report to ``status`` (``active`` on a confirmation, ``cancelled``), with its
    history row: what the chat's ``đúng`` and the console's approval both do. The change is made
    only if the report still has the status it had when read (a conditional UPDATE), so two
    confirmations at once record one change; False when another got there first."""
    before = snapshot(report)
    changed = session.execute(
        update(Report).where(Report.id == report.id, Report.status == report.status).values(status=status)
    ).rowcount
    if not changed:
        session.refresh(report)
        return False
    report.status = status
    log_change(session, report, action, before, snapshot(report), person_id=person_id, at=at)
    return True
