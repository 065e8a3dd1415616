"""The one clock: every "now" in the program comes from ``now()``.

Production reads the system clock. Code that must agree on a fixed instant (a test asserting
a digest for 21/11/2026, a replay of old events) sets it for the current process with
``fixed(at)``; other processes (gunicorn, ``python worker.py``) always read the system clock,
so tests that drive them assert relative to the time they read from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_now() -> datetime:
    return datetime.now(UTC)


_source: Clock = system_now


def now() -> datetime:
    """The current instant, an aware UTC datetime."""
    return _source()


@contextmanager
def fixed(at: datetime | Clock) -> Iterator[None]:
    """Within the block, ``now()`` answers ``at`` (an aware datetime, or a function giving one)."""
    global _source
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("the clock keeps aware datetimes")
        instant = at.astimezone(UTC)
        source: Clock = lambda: instant  # noqa: E731
    else:
        source = at
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
