"""Logging set-up: one line per event, with secrets, tokens and phone numbers redacted."""

from __future__ import annotations

import logging
import re

_SECRET_FIELDS = re.compile(
    r"(?i)((?:access_token|refresh_token|secret_key|secret|token|password|mac)\W{0,3}[=:]\s*\W?)"
    r"[^\s,'\"&}]+"
)
# Vietnamese phone numbers: 0xxxxxxxxx or +84/84 followed by 9 digits, with optional separators.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){9}(?!\d)")
# The console's login links carry their token in the path (bot/web/login_links.py).
_LOGIN_LINK = re.compile(r"(/console/login/)[^\s?\"']+")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    text = _SECRET_FIELDS.sub(r"\1***", text)
    text = _LOGIN_LINK.sub(r"\1***", text)
    return _PHONE.sub("***phone***", text)


class RedactingFormatter(logging.Formatter):
    """``time level logger: message key=value …`` with every rendered line redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in sorted(extras.items()))
        return redact(line)


_configured = False


def setup_logging(level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # urllib3 logs full URLs; ours carry no tokens, but keep it quiet anyway.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    _configured = True
