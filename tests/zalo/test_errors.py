"""classify: Zalo error codes to the classes callers act on."""

from __future__ import annotations

import pickle

import pytest

from bot.zalo.errors import (
    AttachmentExpired,
    Permanent,
    RateLimited,
    RefreshRejected,
    TokenInvalid,
    Transient,
    WindowClosed,
    classify,
    classify_refresh,
    for_http_status,
)


@pytest.mark.parametrize("code,cls", [
    (-216, TokenInvalid), (-220, TokenInvalid), (216, TokenInvalid), (401, TokenInvalid),
    (-401, TokenInvalid), (-213, WindowClosed), (-217, WindowClosed), (-227, WindowClosed),
    (-230, WindowClosed), (-232, WindowClosed), (-234, WindowClosed), (-244, WindowClosed),
    (-32, RateLimited), (-200, Transient), (-100, AttachmentExpired), (-201, Permanent),
    (-240, Permanent), (-403, Permanent), (-237, Permanent), (-999, Permanent),
])
def test_classify(code, cls):
    error = classify(code, "msg")
    assert type(error) is cls and error.code == code and error.message == "msg"


def test_refresh_errors_are_terminal_except_rate_limit():
    assert type(classify_refresh(-14014, "Invalid refresh token")) is RefreshRejected
    assert type(classify_refresh(-118, "invalid_grant")) is RefreshRejected
    assert type(classify_refresh(-32, "limit")) is RateLimited


def test_http_statuses():
    assert type(for_http_status(429)) is RateLimited
    assert type(for_http_status(502)) is Transient
    assert type(for_http_status(404)) is Permanent


def test_errors_pickle_for_rq():
    error = pickle.loads(pickle.dumps(classify(-230, "window", http_status=200)))
    assert type(error) is WindowClosed and error.code == -230 and error.http_status == 200
