"""No console login token in our log lines (the request line of the link included)."""

from __future__ import annotations

import logging

from bot.logs import RedactingFormatter


def test_login_token_is_masked_in_log_lines():
    token = "eyJwIjoxLCJuIjoiYWJjIn0.Z0aBcD.sig-nat_ure"
    record = logging.makeLogRecord({
        "name": "werkzeug", "levelno": logging.INFO, "levelname": "INFO",
        "msg": '127.0.0.1 - - "GET /console/login/%s HTTP/1.1" 302 -', "args": (token,),
    })  # fmt: skip
    line = RedactingFormatter("%(name)s: %(message)s").format(record)
    assert token not in line and "sig-nat_ure" not in line
    assert '"GET /console/login/*** HTTP/1.1" 302' in line
