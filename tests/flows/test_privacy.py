"""No token, secret or phone number in any log line: flows over the OA and the Bot channel, a
token refresh, a rejected refresh and hostile webhooks, with every logger at DEBUG."""

from __future__ import annotations

import io
import logging

import pytest
import requests
from sqlalchemy import update

from bot.logs import RedactingFormatter
from bot.storage.db import session_scope
from bot.storage.models import ZaloToken
from tests.faults.helpers import ADMINS, HEADS, sent

PHONES = ["0912345678", "0912 345 678", "+84912345678", "84 912 345 678"]
LOGGERS = ["", "werkzeug", "rq", "rq.worker", "rq.job", "rq.scheduler", "urllib3", "bot", "handlers"]
# Not "sqlalchemy": it sets its own logger to WARNING on import (its INFO lines echo SQL parameters);
# we never lower it.


@pytest.fixture
def all_logs(caplog):
    """Every record at DEBUG (caplog), and the lines the production formatter writes for them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield caplog, out
    root.removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_no_secret_token_or_phone_number_is_ever_logged(settings, org, chat, zalo, all_logs, redis_url, later):
    caplog, out = all_logs
    cfg = zalo.config
    # OA: reports and commands with phone numbers in them, the token bootstrap
    chat.ask(HEADS[0], f"qua 3, mau 1, liên hệ {PHONES[0]}")
    chat.ask(ADMINS[0], f"mời {PHONES[1]} Nhị Dinh 1")
    chat.ask(STRANGER_WITH_PHONE, f"đk {PHONES[2]} sđt {PHONES[3]}")
    # an expired access token: refresh (both tokens rotate)
    later(26 * 3600)
    chat.ask(HEADS[1], "mau 2")
    tokens = requests.get(f"{zalo.url}/__fake/tokens", timeout=5).json()
    # the Bot channel (its token sits in the URL path)
    requests.post(f"{zalo.url}/__fake/deliver_bot", json={"chat_id": "bot-chat-1", "text": f"qua 1 {PHONES[0]}"}, timeout=10)
    chat.work()
    # a forged webhook and a rejected refresh token
    chat.say(HEADS[2], "qua 9", signature="wrong_secret")
    with session_scope(settings.database_url) as s:
        s.execute(update(ZaloToken).where(ZaloToken.name == "oa").values(refresh_token="sim-rt-stale-secret", access_token="sim-at-dead-secret"))
    chat.ask(HEADS[3], "mau 3")
    # every flow above was answered, but the last: its tokens were broken
    assert [(m["channel"], m.get("user_id") or m.get("chat_id")) for m in sent(zalo)] == [
        ("oa", HEADS[0]), ("oa", ADMINS[0]), ("oa", STRANGER_WITH_PHONE), ("oa", HEADS[1]), ("bot", "bot-chat-1")]

    secrets = {
        "app secret": cfg.app_secret,
        "OA secret key": cfg.oa_secret_key,
        "configured refresh token": cfg.initial_refresh_token,
        "bot token": cfg.bot_token,
        "bot webhook secret": "bot-secret-token",
        "export signing key": settings.secret_key,
        "stale refresh token": "sim-rt-stale-secret",
        "dead access token": "sim-at-dead-secret",
        **{f"issued access token {i}": t for i, t in enumerate(tokens["access_tokens"])},
        **{f"issued refresh token {i}": t for i, t in enumerate(tokens["refresh_tokens"])},
        **{f"phone {p}": p for p in PHONES},
    }
    written = out.getvalue()
    raw = "\n".join(_render(r) for r in caplog.records if not _quiet_in_production(r))
    leaks = {what: where for what, value in secrets.items()
             for where, text in (("written", written), ("record", raw)) if value and value in text}
    print(f"privacy: {len(caplog.records)} records, {len(written.splitlines())} lines written, "
          f"{len(secrets)} secrets checked, leaks={leaks}")
    assert len(caplog.records) > 50 and "werkzeug" in written and "bot.web.webhook" in written
    assert leaks == {}


STRANGER_WITH_PHONE = "7999000000000000123"


def _render(record: logging.LogRecord) -> str:
    """A record's message and every extra field, unredacted."""
    extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    return f"{record.name} {record.getMessage()} {extras}"


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _quiet_in_production(record: logging.LogRecord) -> bool:
    # bot.logs.setup_logging keeps urllib3 at WARNING: its DEBUG lines (full URLs) never reach a
    # handler in production. Their *written* form is still checked above.
    return record.name.startswith("urllib3") and record.levelno < logging.WARNING
