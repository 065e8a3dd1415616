"""Typed Zalo errors: every failure of an OA, OAuth or Bot call becomes one of these classes.

Zalo answers most failures with HTTP 200 and ``{"error": <negative int>, "message": ...}``;
``classify`` turns such a code into the class that says what the caller should do
(docs/zalo-platform.md#error-codes, #access-and-refresh-tokens).
"""

from __future__ import annotations


class ZaloError(Exception):
    """A Zalo call failed. ``code`` is Zalo's error code (or an HTTP status), ``message`` its text."""

    retryable = False  # True when the same call may succeed later without any change

    def __init__(self, code: int, message: str = "", *, http_status: int | None = None):
        self.code = int(code)
        self.message = message or ""
        self.http_status = http_status
        super().__init__(f"Zalo error {self.code}: {self.message}")

    def __reduce__(self):  # picklable across RQ / multiprocessing despite keyword-only args
        return (_rebuild, (type(self), self.code, self.message, self.http_status))


def _rebuild(cls, code, message, http_status):
    return cls(code, message, http_status=http_status)


class TokenInvalid(ZaloError):
    """The access token was refused (-216 invalid, -220 expired): refresh once and retry once."""


class RefreshRejected(ZaloError):
    """The token endpoint refused the refresh token (-14014, -118, …). Terminal: redo the consent."""


class TokensBroken(ZaloError):
    """Sends are refused because an earlier refresh was rejected (or no refresh token exists)."""


class WindowClosed(ZaloError):
    """The user is outside the interaction window or refuses OA messages: skip, mark unreachable."""


class RateLimited(ZaloError):
    """-32 or HTTP 429: back off (Zalo counts per minute) and try again later."""

    retryable = True

    def __init__(self, code: int, message: str = "", *, http_status: int | None = None,
                 retry_after: float = 60.0):
        super().__init__(code, message, http_status=http_status)
        self.retry_after = retry_after


class Transient(ZaloError):
    """5xx, timeouts, connection errors, -200: the same call may succeed on a later try."""

    retryable = True


class Permanent(ZaloError):
    """A request Zalo will never accept as sent (-201 bad field, -240, -403, -237, …)."""


class AttachmentExpired(Permanent):
    """-100: the uploaded attachment id expired (7 days); upload the file again."""

    retryable = True


TOKEN_CODES = frozenset({-216, -220, 216, 401, -401})
WINDOW_CODES = frozenset({-213, -217, -227, -230, -232, -234, -244})
RATE_LIMIT_CODES = frozenset({-32})
TRANSIENT_CODES = frozenset({-200})
ATTACHMENT_EXPIRED_CODES = frozenset({-100})


def classify(code: int, message: str = "", *, http_status: int | None = None) -> ZaloError:
    """The typed error for an OA Open API error code (never for the token endpoint)."""
    code = int(code)
    if code in TOKEN_CODES:
        cls = TokenInvalid
    elif code in WINDOW_CODES:
        cls = WindowClosed
    elif code in RATE_LIMIT_CODES:
        cls = RateLimited
    elif code in TRANSIENT_CODES:
        cls = Transient
    elif code in ATTACHMENT_EXPIRED_CODES:
        cls = AttachmentExpired
    else:
        cls = Permanent
    return cls(code, message, http_status=http_status)


def classify_refresh(code: int, message: str = "", *, http_status: int | None = None) -> ZaloError:
    """The typed error for a token-endpoint answer: -32 backs off, anything else is terminal."""
    code = int(code)
    if code in RATE_LIMIT_CODES:
        return RateLimited(code, message, http_status=http_status)
    return RefreshRejected(code, message, http_status=http_status)


def for_http_status(status: int, what: str = "") -> ZaloError:
    """The typed error for a non-200 HTTP answer that carries no Zalo error body."""
    if status == 429:
        return RateLimited(429, what or "HTTP 429 Too Many Requests", http_status=status)
    if status >= 500 or status in (408,):
        return Transient(status, what or f"HTTP {status}", http_status=status)
    if status == 401:
        return TokenInvalid(401, what or "HTTP 401 Unauthorized", http_status=status)
    return Permanent(status, what or f"HTTP {status}", http_status=status)
