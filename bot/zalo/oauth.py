"""OA access tokens: single-flight refresh under a Redis lock, the new pair saved before use.

Zalo refresh tokens are single-use and rotate (docs/zalo-platform.md#access-and-refresh-tokens): two processes
refreshing with the same one burn it, and a new pair that is not persisted is lost for good.
So every refresh takes ``SET zalo:refresh:oa NX EX 30``, re-reads the stored row (someone may
have refreshed meanwhile), calls the token endpoint, and commits the new pair before returning.
A rejected refresh token marks the row broken: sends then fail fast with ``TokensBroken`` until
a new refresh token is configured. Tokens never appear in a log line.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from datetime import timedelta

import redis
import requests
from sqlalchemy import select

from bot import clock as bot_clock
from bot.storage.db import get_engine, session_scope
from bot.storage.locks import redis_lock
from bot.storage.models import ZaloToken
from bot.zalo.errors import (
    RateLimited,
    RefreshRejected,
    TokensBroken,
    Transient,
    ZaloError,
    classify_refresh,
    for_http_status,
)

log = logging.getLogger(__name__)

PROACTIVE_AGE = timedelta(hours=20)  # refresh well before Zalo's 25 h
EXPIRY_MARGIN = timedelta(minutes=30)
LOCK_TTL = 30  # seconds; longer than one token call


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenManager:
    """Hands out a live OA access token; refreshes at most once at a time across processes.

    ``clock`` returns an aware UTC datetime; ``session`` is the ``requests.Session`` used for the
    token endpoint. ``name`` is the ZaloToken row (and the lock's suffix)."""

    def __init__(self, settings, redis, db_url: str, clock=None,
                 session: requests.Session | None = None, *, name: str = "oa",
                 lock_wait: float = 40.0):
        self.settings = settings
        self.redis = redis
        self.db_url = db_url
        self.clock = clock or bot_clock.now
        self._own_session = session is None
        self.session = session or requests.Session()
        self.name = name
        self.seed_name = f"{name}:seed"  # fingerprint of the configured refresh token last used
        self.lock_key = f"zalo:refresh:{name}"
        self.lock_wait = lock_wait
        self.refresh_calls = 0  # token-endpoint calls made by this instance
        self._fingerprint_of: tuple[str, str] | None = None

    # -- public ------------------------------------------------------------------------
    def access_token(self) -> str:
        """A live access token: the stored one, or a fresh one when it is old, missing or new
        credentials were configured. Raises TokensBroken when a refresh was rejected."""
        # One read of both rows (the token and the configured seed's fingerprint): this runs
        # before every send, so it must stay cheap, yet see a change made by anyone else.
        row, seed = self._read_with_seed()
        if self._seed_is_new(seed):
            return self._adopt_configured()
        if row is not None and row["broken_reason"]:
            raise TokensBroken(0, f"Zalo tokens are broken: {row['broken_reason']}")
        if row is None or not row["access_token"]:
            if not (row and row["refresh_token"]) and not self.settings.zalo_refresh_token:
                raise TokensBroken(0, "no Zalo refresh token configured (ZALO_REFRESH_TOKEN)")
            return self.refresh(None)  # first start: bootstrap from the configured token
        if self._is_stale(row):
            try:
                return self.refresh(row["access_token"])
            except (Transient, RateLimited) as exc:
                if not self._is_expired(row):  # keep using it; retry the refresh next time
                    log.warning("proactive Zalo token refresh failed, token still valid",
                                extra={"zalo_error": exc.code})
                    return row["access_token"]
                raise
        return row["access_token"]

    def refresh(self, stale_access_token: str | None) -> str:
        """Replace ``stale_access_token`` (the one Zalo refused or that is too old).

        If another process already replaced it, its token is returned without a new call."""
        with self._lock():
            row = self._read()
            if row is not None and row["broken_reason"]:
                raise TokensBroken(0, f"Zalo tokens are broken: {row['broken_reason']}")
            if row is not None and row["access_token"] and row["access_token"] != stale_access_token:
                return row["access_token"]  # somebody refreshed while we waited
            refresh_token = row["refresh_token"] if row is not None else None
            if not refresh_token:
                refresh_token = self.settings.zalo_refresh_token
                if not refresh_token:
                    raise TokensBroken(0, "no Zalo refresh token configured (ZALO_REFRESH_TOKEN)")
                self._save_seed(refresh_token)
            return self._call_and_store(refresh_token)

    def reset(self, refresh_token: str) -> None:
        """Start again from a new refresh token (after an admin redid the OAuth consent)."""
        with self._lock():
            self._write(access_token=None, refresh_token=refresh_token, access_expires_at=None,
                        broken_reason=None)
        log.info("Zalo refresh token replaced by an admin")

    def is_broken(self) -> str | None:
        """The reason sends are stopped, or None."""
        row = self._read()
        return row["broken_reason"] if row else None

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    # -- the token endpoint -------------------------------------------------------------
    def _call_and_store(self, refresh_token: str) -> str:
        """POST the refresh grant; persist the new pair (committed) before returning it."""
        url = f"{self.settings.zalo_oauth_url}/v4/oa/access_token"
        self.refresh_calls += 1
        try:
            response = self.session.post(
                url,
                data={"app_id": self.settings.zalo_app_id or "", "grant_type": "refresh_token",
                      "refresh_token": refresh_token},
                headers={"secret_key": self.settings.zalo_app_secret or ""},
                timeout=self.settings.zalo_timeout,
            )
        except requests.RequestException as exc:
            # The grant may or may not have been used: nothing to do but try again later.
            raise Transient(0, f"token endpoint unreachable: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("access_token") and body.get("refresh_token"):
            now = self.clock()
            try:
                expires_in = int(body.get("expires_in") or 90000)
            except (TypeError, ValueError):
                expires_in = 90000
            self._write(access_token=body["access_token"], refresh_token=body["refresh_token"],
                        access_expires_at=now + timedelta(seconds=expires_in),
                        refreshed_at=now, broken_reason=None)
            log.info("Zalo access token refreshed", extra={"expires_in": expires_in})
            return body["access_token"]
        if response.status_code != 200 and not (isinstance(body, dict) and body.get("error")):
            raise for_http_status(response.status_code, "token endpoint")
        code = _int(body.get("error")) if isinstance(body, dict) else 0
        message = _describe(body)
        error = classify_refresh(code or -1, message, http_status=response.status_code)
        if isinstance(error, RefreshRejected):
            reason = f"refresh rejected: {error.code} {message}"[:500]
            self._write(access_token=None, broken_reason=reason)
            log.error("Zalo refused the refresh token; sends stop until an admin redoes the "
                      "OAuth consent", extra={"zalo_error": error.code, "zalo_message": message})
        raise error

    # -- configured seed ------------------------------------------------------------------
    def _configured_seed_is_new(self) -> bool:
        if not self.settings.zalo_refresh_token:
            return False
        return self._seed_is_new(self._read(self.seed_name))

    def _seed_is_new(self, seed: dict | None) -> bool:
        configured = self.settings.zalo_refresh_token
        if not configured:
            return False
        if self._fingerprint_of is None or self._fingerprint_of[0] != configured:
            self._fingerprint_of = (configured, _fingerprint(configured))
        return seed is not None and seed["refresh_token"] != self._fingerprint_of[1]

    def _adopt_configured(self) -> str:
        """A new ZALO_REFRESH_TOKEN was configured: start over from it (clears broken)."""
        with self._lock():
            if self._configured_seed_is_new():
                self._save_seed(self.settings.zalo_refresh_token)
                self._write(access_token=None, refresh_token=self.settings.zalo_refresh_token,
                            access_expires_at=None, broken_reason=None)
                log.info("new ZALO_REFRESH_TOKEN configured; starting from it")
        row = self._read()
        if row and row["access_token"] and not row["broken_reason"]:
            return row["access_token"]
        return self.refresh(None)

    def _save_seed(self, refresh_token: str) -> None:
        self._write(name=self.seed_name, refresh_token=_fingerprint(refresh_token))

    # -- storage ---------------------------------------------------------------------------
    def _read(self, name: str | None = None) -> dict | None:
        with session_scope(self.db_url) as db:
            row = db.get(ZaloToken, name or self.name)
            if row is None:
                return None
            return {"access_token": row.access_token, "refresh_token": row.refresh_token,
                    "access_expires_at": row.access_expires_at, "refreshed_at": row.refreshed_at,
                    "broken_reason": row.broken_reason}

    def _read_with_seed(self) -> tuple[dict | None, dict | None]:
        """The token row and the seed row in one query (one short read-only transaction)."""
        table = ZaloToken.__table__
        names = (self.name, self.seed_name)
        with get_engine(self.db_url).connect() as conn:
            rows = conn.execute(
                select(table.c.name, table.c.access_token, table.c.refresh_token,
                       table.c.access_expires_at, table.c.refreshed_at, table.c.broken_reason)
                .where(table.c.name.in_(names))
            ).all()
        found = {r.name: {"access_token": r.access_token, "refresh_token": r.refresh_token,
                          "access_expires_at": r.access_expires_at, "refreshed_at": r.refreshed_at,
                          "broken_reason": r.broken_reason} for r in rows}
        return found.get(self.name), found.get(self.seed_name)

    def _write(self, *, name: str | None = None, **values) -> None:
        with session_scope(self.db_url) as db:  # commits on leaving
            row = db.get(ZaloToken, name or self.name)
            if row is None:
                row = ZaloToken(name=name or self.name)
                db.add(row)
            for key, value in values.items():
                setattr(row, key, value)

    def _is_stale(self, row: dict) -> bool:
        now = self.clock()
        if row["refreshed_at"] is None or now - row["refreshed_at"] >= PROACTIVE_AGE:
            return True
        return self._is_expired(row, EXPIRY_MARGIN)

    def _is_expired(self, row: dict, margin: timedelta = timedelta(0)) -> bool:
        expires = row["access_expires_at"]
        return expires is None or self.clock() + margin >= expires

    # -- the lock --------------------------------------------------------------------------
    @contextmanager
    def _lock(self):
        """The refresh lock; Redis down or the lock held too long means "try later" (Transient)."""
        try:
            with redis_lock(self.redis, self.lock_key, ttl=LOCK_TTL, wait=self.lock_wait, poll=0.02,
                            busy=lambda: Transient(0, "timed out waiting for the Zalo token refresh lock")):
                yield
        except redis.RedisError as exc:
            raise Transient(0, f"Redis unavailable for the token lock: {type(exc).__name__}") from None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _describe(body) -> str:
    """The token endpoint's error text, whatever fields it used (never a token)."""
    if not isinstance(body, dict):
        return "no JSON body"
    parts = [str(body[k]) for k in ("message", "error_name", "error_reason", "error_description")
             if body.get(k)]
    return "; ".join(parts) or "no access_token in the answer"


__all__ = ["TokenManager", "ZaloError"]
