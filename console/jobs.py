"""RQ job of the console: deliver what a console action recorded in the outbox (a head's notice)."""

from __future__ import annotations

from bot import clock
from bot.outbound import outbox
from bot.outbound.sender import sender_for
from bot.runtime import runtime
from bot.storage.db import sessionmaker_for


def deliver(prefix: str) -> str:
    """Send the outbox rows under ``prefix`` that are still pending (each once, like chat replies)."""
    settings, conn = runtime()
    session = sessionmaker_for(settings.database_url)()
    try:
        outbox.deliver_prefix(session, sender_for(settings, conn), prefix, clock.now())
    finally:
        session.close()
    return "ok"
