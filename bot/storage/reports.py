"""Report writes shared by the handlers: store, show back."""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.storage.models import Report
from bot.storage.store import add_report


def store_report(ctx: Ctx, *, org, chapter, text: str, items, report_date, status: str = "active", replaces_id=None) -> Report:
    return add_report(
        ctx.session,
        org_id=org.id,
        chapter_id=chapter.id,
        person_id=ctx.person.id if ctx.person else None,
        event_id=ctx.event_id,
        report_date=report_date,
        raw_text=text,
        items=items,
        now=ctx.now,
        status=status,
        replaces_id=replaces_id,
    )


def indicator_view(code: str, catalog) -> dict:
    """How templates name an indicator: its code, Vietnamese name and unit (the code if unknown)."""
    indicator = catalog.get(code)
    return {
        "code": code,
        "name": indicator.name if indicator else code,
        "unit": indicator.unit if indicator else "",
    }


def item_views(items, catalog) -> list[dict]:
    """What a template needs to show an item: code, name, unit, quantity, value."""
    return [
        {**indicator_view(item.indicator, catalog), "quantity": item.quantity, "value_vnd": item.value_vnd}
        for item in items
    ]
