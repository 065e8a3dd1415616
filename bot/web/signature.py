"""Zalo webhook signatures: plain SHA-256 (not HMAC) over app id + raw body + timestamp + OA secret.

Pure functions. The Zalo simulator's webhook driver signs with ``compute_signature``, so tests
and production share one definition of the scheme (docs/zalo-platform.md#webhook-signature).
"""

from __future__ import annotations

import hashlib
import hmac
import json


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


def verify_signature(raw_body: bytes, header: str | None, app_id: str, oa_secret_key: str) -> bool:
    """True when ``header`` (with or without ``mac=``) signs ``raw_body``; constant-time compare."""
    if not header or not app_id or not oa_secret_key:
        return False
    mac = header.strip()
    if mac[:4].lower() == "mac=":
        mac = mac[4:]
    timestamp = body_timestamp(raw_body)
    if timestamp is None:
        return False
    want = compute_signature(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(want.encode(), mac.strip().lower().encode())
