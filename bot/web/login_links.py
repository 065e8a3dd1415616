"""The console's login links: ``PUBLIC_URL/console/login/<token>``, personal, single use, 10 minutes.

A token is the person's id signed with ``SECRET_KEY`` (itsdangerous) and stamped on ``bot.clock``,
so tests move its age with the clock. A used token is remembered in Redis (``SET NX`` with a TTL
longer than the token's life): the second use finds the mark and is refused.
"""

from __future__ import annotations

import hashlib
import secrets

import redis
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bot import clock

SALT = "chb-console-login"
MAX_AGE = 10 * 60  # seconds a link stays valid
USED_TTL = MAX_AGE + 5 * 60  # a used mark outlives the token it marks
USED_KEY = "chb:console:used:{}"


class LinkRefused(Exception):
    """The link opens nothing; ``reason`` is ``forged``, ``expired`` or ``used``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=_ClockSigner)


def make_token(secret_key: str, person_id: int) -> str:
    """A fresh token for ``person_id`` (a nonce makes two links of the same second differ)."""
    return _serializer(secret_key).dumps({"p": int(person_id), "n": secrets.token_urlsafe(6)})


def login_link(settings, person_id: int) -> str:
    return f"{settings.public_url}/console/login/{make_token(settings.secret_key, person_id)}"


def redeem(secret_key: str, conn: redis.Redis, token: str) -> int:
    """The person id of a valid, unused token, marking it used; else ``LinkRefused``."""
    try:
        data = _serializer(secret_key).loads(token, max_age=MAX_AGE)
    except SignatureExpired as exc:
        raise LinkRefused("expired") from exc
    except BadSignature as exc:
        raise LinkRefused("forged") from exc
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise LinkRefused("forged")
    digest = hashlib.sha256(token.encode()).hexdigest()
    if not conn.set(USED_KEY.format(digest), "1", nx=True, ex=USED_TTL):
        raise LinkRefused("used")
    return data["p"]
