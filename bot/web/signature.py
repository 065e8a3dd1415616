"""Zalo webhook signatures: plain SHA-256 (not HMAC) over app id + raw body + timestamp + OA secret.

Pure functions with an injectable clock. The Zalo simulator's webhook driver signs with
``compute_signature``, so tests and production share one definition of the scheme
(docs/zalo-platform.md#webhook-signature).

A signed event is also refused when its timestamp is far from now: the signature alone would let
a captured request be replayed for ever. Zalo resends a failed delivery with the same body for
hours (docs/zalo-platform.md#webhook-answer-and-redelivery), so the window is wide (a day by
default, ``WEBHOOK_MAX_AGE``); within it, a replay is a duplicate the dedup mark already answers.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot import clock as bot_clock

DEFAULT_MAX_AGE = timedelta(hours=24)


class Check(enum.Enum):
    OK = "ok"
    BAD = "bad signature"  # missing, malformed, or not made with our app id and OA secret key
    STALE = "stale timestamp"  # signed, but dated too far from now (a replay, or a stuck clock)


def compute_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The lowercase hex SHA-256 Zalo puts in ``X-ZEvent-Signature`` (after ``mac=``)."""
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(raw_body)
    digest.update(timestamp.encode())
    digest.update(oa_secret_key.encode())
    return digest.hexdigest()


def body_timestamp(raw_body: bytes) -> str | None:
    """The ``timestamp`` field of the body as canonical decimal digits, or None.

    Zalo sends it as a string, some integrations as a number: both are kept as written digits.
    """
    try:
        data = json.loads(raw_body, parse_int=str, parse_float=str)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    ts = data.get("timestamp")
    if isinstance(ts, str) and ts.isdigit() and len(ts) <= 20:
        return ts
    return None


def check_signature(raw_body: bytes, header: str | None, app_id: str, oa_secret_key: str, *,
                    clock: Callable[[], datetime] = bot_clock.now,
                    max_age: timedelta = DEFAULT_MAX_AGE) -> Check:
    """Whether ``header`` (with or without ``mac=``) signs ``raw_body`` (constant-time compare),
    and the signed timestamp lies within ``max_age`` of ``clock()``, either side."""
    if not header or not app_id or not oa_secret_key:
        return Check.BAD
    mac = header.strip()
    if mac[:4].lower() == "mac=":
        mac = mac[4:]
    timestamp = body_timestamp(raw_body)
    if timestamp is None:
        return Check.BAD
    want = compute_signature(app_id, raw_body, timestamp, oa_secret_key)
    if not hmac.compare_digest(want.encode(), mac.strip().lower().encode()):
        return Check.BAD
    return Check.OK if _near(int(timestamp), clock(), max_age) else Check.STALE


def _near(timestamp_ms: int, now: datetime, max_age: timedelta) -> bool:
    try:
        sent = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return False
    return abs(now - sent) <= max_age


def verify_signature(raw_body: bytes, header: str | None, app_id: str, oa_secret_key: str, *,
                     clock: Callable[[], datetime] = bot_clock.now,
                     max_age: timedelta = DEFAULT_MAX_AGE) -> bool:
    """True when the event is signed with our keys and dated near ``clock()``."""
    return check_signature(raw_body, header, app_id, oa_secret_key, clock=clock, max_age=max_age) is Check.OK
