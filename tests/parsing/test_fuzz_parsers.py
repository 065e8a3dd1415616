"""Fuzzing the two parsers hostile input reaches first: Zalo event bodies and report text.

``parse_event``/``parse_bot_update`` take any JSON value and return a typed event or raise
``InvalidEvent``, nothing else. ``parse_report`` takes any text and returns, never raises, with
work bounded by the text's length (counted in executed lines, never timed). The unmarked tests are a quick sample; the ``fuzz`` run does 100,000+ cases per
parser (Hypothesis, derandomized, plus a seeded mutation loop that is much cheaper per case).
"""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing.grammar import parse_report
from bot.parsing.result import ParseResult
from bot.web import events
from tests.parsing.parser_work import lines_run

# executed lines of bot/parsing per character, plus a constant: the worst realistic input
# (a long run of number words) needs under 200 per character
WORK_PER_CHAR, WORK_BASE = 400, 3_000

# -- strategies ------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "0", "1700000000000", "-1", "1e309", "user_send_text", "follow", "\u0000", "🙂"])
)
KEYS = ["event_name", "timestamp", "sender", "recipient", "message", "follower", "app_id", "id",
        "msg_id", "msg_ids", "text", "attachments", "type", "user_id_by_app", "ok", "result",
        "message_id", "date", "chat", "from", "display_name", "chat_type"]
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)
EVENT_NAMES = ["user_send_text", "user_send_image", "user_send_file", "follow", "unfollow",
               "user_received_message", "user_seen_message", "oa_send_text", "user_send_group_text",
               "message.text.received", "message.image.received", "", "x" * 65]
ids = st.none() | st.booleans() | st.integers() | st.text(max_size=70) | json_values
oa_shaped = st.fixed_dictionaries({}, optional={
    "event_name": st.sampled_from(EVENT_NAMES) | json_values,
    "timestamp": st.sampled_from(["1700000000000", 1700000000000, 1700000000, "abc", 10**400, -5]) | json_values,
    "app_id": st.text(max_size=10) | json_values,
    "sender": st.fixed_dictionaries({}, optional={"id": ids}) | json_values,
    "follower": st.fixed_dictionaries({}, optional={"id": ids}) | json_values,
    "recipient": st.fixed_dictionaries({}, optional={"id": ids}) | json_values,
    "message": st.fixed_dictionaries({}, optional={
        "msg_id": ids, "text": st.text(max_size=200) | json_values, "msg_ids": json_values,
        "attachments": st.lists(st.fixed_dictionaries({}, optional={"type": json_values}), max_size=3) | json_values,
    }) | json_values,
})
bot_shaped = st.fixed_dictionaries({}, optional={
    "event_name": st.sampled_from(EVENT_NAMES) | json_values,
    "message": st.fixed_dictionaries({}, optional={
        "message_id": ids, "date": st.integers() | json_values, "text": st.text(max_size=200) | json_values,
        "chat": st.fixed_dictionaries({}, optional={"id": ids, "chat_type": json_values}) | json_values,
        "from": st.fixed_dictionaries({}, optional={"id": ids, "display_name": json_values}) | json_values,
    }) | json_values,
})
bot_wrapped = st.builds(lambda ok, r: {"ok": ok, "result": r}, json_values, bot_shaped | json_values)

WORDS = ["qua", "quà", "tri gia", "trị giá", "mau", "máu", "đơn vị", "hv moi", "hội viên mới", "tr",
         "triệu", "k", "nghìn", "ngàn", "tỷ", "đ", "đồng", "vnd", "x", "mỗi", "suất", "hôm nay", "hôm qua",
         "ngày", "tháng", "năm", "tuần này", "huỷ", "sửa", "xem", "một", "hai", "mươi", "trăm", "rưỡi",
         "lẻ", "linh", "nghìn tỷ", ":", ",", ".", "/", "-", "+", "=", "(", ")", "%", "\n", "  ", "2,5",
         "1.000.000", "10tr", "500k", "1/13/2024", "31/2", "99999999999999999999", "0", "-3", "1e9",
         "{{ 7*7 }}", "<script>", "'; DROP TABLE reports; --", "🙂", "\u200b", "\u0301", "Ð", "đ", "ß"]
report_texts = st.lists(st.sampled_from(WORDS) | st.integers(-(10**25), 10**25).map(str) | st.text(max_size=12),
                        max_size=60).map(" ".join) | st.text(max_size=2000)


# -- properties ------------------------------------------------------------------------------

def check_event(payload, parse) -> None:
    try:
        event = parse(payload)
    except events.InvalidEvent:
        return
    assert isinstance(event, events.Message | events.Follow | events.Receipt | events.Unknown)
    assert isinstance(event.event_key, str) and 0 < len(event.event_key) <= 64
    assert event.sent_at.tzinfo is not None
    if isinstance(event, events.Message):
        assert isinstance(event.text, str) and isinstance(event.sender_id, str) and event.sender_id


def check_report(text: str) -> None:
    result = parse_report(text, datetime(2026, 5, 20, 3, 0, tzinfo=UTC))
    assert isinstance(result, ParseResult)
    for item in result.items:
        assert item.quantity is None or item.quantity >= 0
        assert item.value_vnd is None or item.value_vnd >= 0
    result.to_json()


def check_report_work(text: str) -> int:
    """``check_report`` with its work counted: bounded by the text's length."""
    check_report(text)                  # once untraced: the lexicon and per-word memos are built
    work = lines_run(check_report, text)
    assert work <= WORK_PER_CHAR * len(text) + WORK_BASE, f"{work} lines for {len(text)} chars: {text[:80]!r}…"
    return work


def quick(n):
    return settings(max_examples=n, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


# -- the quick sample (every run) ------------------------------------------------------------

@quick(100)
@given(oa_shaped | json_values)
def test_parse_event_returns_a_typed_event_or_invalid(payload):
    check_event(payload, events.parse_event)


@quick(100)
@given(bot_shaped | bot_wrapped | json_values)
def test_parse_bot_update_returns_a_typed_event_or_invalid(payload):
    check_event(payload, events.parse_bot_update)


@quick(100)
@given(report_texts)
def test_parse_report_never_raises_and_is_bounded(text):
    check_report_work(text)


def test_attachments_that_are_not_a_list_are_ignored():
    """Found by this fuzzer: ``"attachments": 5`` raised TypeError (a 500 at the webhook)."""
    event = events.parse_event({"event_name": "user_send_image", "timestamp": "1700000000000",
                                "sender": {"id": "1"}, "message": {"msg_id": "2", "attachments": 5}})
    assert event.attachments == ()


def test_huge_numeric_ids_are_not_ids():
    """Found by this fuzzer: a 401-digit msg_id became a 401-character event key (the column holds
    64), and a 5,000-digit one raised ValueError from str()."""
    for big in (10**400, 10**5000):
        payload = {"event_name": "user_send_text", "timestamp": "1700000000000", "sender": {"id": "1"},
                   "message": {"msg_id": big, "text": "qua 1"}}
        with pytest.raises(events.InvalidEvent):
            events.parse_event(payload)


# -- the long run (make test, CI) -------------------------------------------------------------

SEED_OA = {
    "app_id": "sim-app", "user_id_by_app": "1", "event_name": "user_send_text", "timestamp": "1700000000000",
    "sender": {"id": "7002000000000000001"}, "recipient": {"id": "sim-oa"},
    "message": {"msg_id": "abc", "text": "qua 20 tri gia 10tr", "attachments": [{"type": "image"}], "msg_ids": ["a"]},
    "follower": {"id": "7002000000000000001"},
}
SEED_BOT = {"event_name": "message.text.received", "message": {
    "message_id": "m1", "date": 1700000000000, "text": "mau 8",
    "chat": {"id": "c1", "chat_type": "PRIVATE"}, "from": {"id": "u1", "display_name": "A"}}}
ODD = [None, True, False, 0, -1, 10**20, 10**400, 1.5, float("nan"), float("inf"), "", "x" * 70, "\u0000",
       "1700000000000", [], [1, [2]], {}, {"id": None}, {"id": "1"}, "follow", "user_seen_message",
       "oa_send_text", "message.text.received", "🙂" * 10]


def _mutate(rng: random.Random, value, depth=0):
    """A random structural change somewhere inside ``value`` (a copy)."""
    if isinstance(value, dict) and value and depth < 4 and rng.random() < 0.7:
        key = rng.choice(list(value))
        roll = rng.random()
        if roll < 0.15:
            del value[key]
        elif roll < 0.3:
            value[rng.choice(KEYS)] = rng.choice(ODD)
        else:
            value[key] = _mutate(rng, value[key], depth + 1)
        return value
    if isinstance(value, list) and value and depth < 4 and rng.random() < 0.7:
        i = rng.randrange(len(value))
        value[i] = _mutate(rng, value[i], depth + 1)
        return value
    return copy.deepcopy(rng.choice(ODD + [SEED_OA["message"], SEED_BOT["message"]]))


def _mutants(seed, n, base, rounds=3):
    rng = random.Random(seed)
    for _ in range(n):
        value = copy.deepcopy(base)
        for _ in range(rng.randint(1, rounds)):
            value = _mutate(rng, value)
        yield value


@pytest.mark.fuzz
@quick(400)
@given(oa_shaped | json_values)
def test_fuzz_parse_event_hypothesis(payload):
    check_event(payload, events.parse_event)


@pytest.mark.fuzz
@quick(300)
@given(bot_shaped | bot_wrapped | json_values)
def test_fuzz_parse_bot_update_hypothesis(payload):
    check_event(payload, events.parse_bot_update)


@pytest.mark.fuzz
def test_fuzz_event_parsers_100k_mutants():
    n = 0
    for payload in _mutants(7, 100_000, SEED_OA):
        check_event(payload, events.parse_event)
        n += 1
    for payload in _mutants(8, 50_000, SEED_BOT):
        check_event(payload, events.parse_bot_update)
        check_event({"ok": True, "result": payload}, events.parse_bot_update)
        n += 2
    # and whatever the webhook's JSON decoder can hand over, as raw text
    for payload in _mutants(9, 2_000, SEED_OA):
        check_event(json.loads(json.dumps(payload, default=str, allow_nan=True)), events.parse_event)
        n += 1
    print(f"fuzz event parsers: {n} mutants, no exception but InvalidEvent")
    assert n == 202_000


@pytest.mark.fuzz
@quick(600)
@given(report_texts)
def test_fuzz_parse_report_hypothesis(text):
    check_report_work(text)


@pytest.mark.fuzz
def test_fuzz_parse_report_100k_texts():
    rng = random.Random(11)
    alphabet = "0123456789 .,:/-+xkđĐaăâeêioôơuưyqtrmvhng\n\u0301\u0300\u0303" + "áàảãạ"
    n = 0
    for i in range(100_000):
        roll = i % 4
        if roll < 2:
            text = " ".join(rng.choice(WORDS) if rng.random() < 0.7 else str(rng.randint(-10**6, 10**12))
                            for _ in range(rng.randint(0, 30)))
        elif roll == 2:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        else:
            text = "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 60)))
        check_report(text)          # cheap per case: the work bound is checked on the long ones
        n += 1
    worst = 0.0
    long_ones = ["qua " * 500, "1" * 2000, "1." * 1000, "mau 8, " * 285, "một trăm " * 220,
                 "ngày 1/2 " * 220, ("qua 20 tri gia 10tr, mau 8, hv moi 5\n" * 60)[:2000]]
    for text in long_ones:
        worst = max(worst, check_report_work(text) / len(text))
        n += 1
    print(f"fuzz parse_report: {n} texts, at most {worst:.0f} executed lines per character")
    assert n == 100_000 + len(long_ones)
