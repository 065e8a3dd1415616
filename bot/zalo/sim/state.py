"""What the simulator knows: its configuration, its fake clock and everything it remembers.

The numbers are Zalo's (docs/zalo-platform.md: "Access and refresh tokens", "Interaction
windows", "Text length", "Images and uploads", "Error codes"). One ``SimState`` per app, kept in
``app.extensions["zalo_sim"]``; the blueprints reach it through ``sim_state()``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import current_app

HOUR = 3600
DAY = 24 * HOUR
ACCESS_TTL = 25 * HOUR
REFRESH_TTL = 90 * DAY
CODE_TTL = 10 * 60
ATTACHMENT_TTL = 7 * DAY
FREE_WINDOW = 48 * HOUR
SEND_WINDOW = 7 * DAY
MAX_TEXT = 2000
MAX_IMAGE = 1024 * 1024

MSG = {
    -14001: "Invalid app_id or secret_key",
    -14014: "Invalid refresh token",
    -14019: "Invalid authorization code",
    -32: "Your application reached limit call api",
    -100: "attachment_id was expired",
    -201: "{} is invalid!",
    -210: "Image is invalid! Only jpg/png up to 1MB",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
    -237: "The group is disabled",
    -240: "MessageV2 API has been shut down, please switch to MessageV3",
    -403: "OA is not in group",
}

EXTENSION = "zalo_sim"  # the key of the state in ``app.extensions``


@dataclass
class SimulatorConfig:
    app_id: str = "sim-app"
    app_secret: str = "sim-app-secret"
    oa_id: str = "sim-oa"
    oa_secret_key: str = "sim-oa-secret"
    bot_token: str = "sim-bot:token"
    initial_refresh_token: str = "sim-refresh-0"
    webhook_url: str | None = None  # where /__fake/deliver posts OA events
    bot_webhook_url: str | None = None  # where /__fake/deliver_bot posts Bot updates
    bot_secret_token: str | None = None  # X-Bot-Api-Secret-Token for those posts
    rate_limit_per_minute: int = 4000
    unknown_user_error: int = -201  # or -213
    auto_follow: bool = True  # a user the driver delivers for becomes a known follower
    text_too_long_error: int = -201  # the real code is unknown (docs/zalo-platform.md)
    include_quota: bool = False  # the phased-out data.quota of message/cs
    refresh_latency: float = 0.05  # seconds the token endpoint takes (widens races)
    bot_unauthorized_status: int = 401  # HTTP status of the Bot API's "Unauthorized" body
    bot_long_poll_cap: float = 1.0  # getUpdates waits at most this long for an update
    echo_events: bool = False  # after a CS send, post oa_send_text/received/seen to webhook_url
    echo_delay: float = 0.05
    id_epoch: int | None = None  # id prefix; None: the start time (unique across restarts)


class SimState:
    """Everything the simulator remembers; guarded by one lock."""

    def __init__(self, config: SimulatorConfig):
        self.config = config
        self.lock = threading.RLock()
        self.updates_ready = threading.Condition(self.lock)
        self.epoch = config.id_epoch if config.id_epoch is not None else int(time.time())
        # Never reset: ids stay unique for the server's life, across /__fake/reset, so an app
        # whose dedup marks outlive a reset never mistakes a new msg_id for a redelivery.
        self.seq = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.offset = 0.0
            self.access = {}  # token -> issued (fake seconds)
            self.refresh = {self.config.initial_refresh_token: self.now()}
            self.codes = {}  # auth code -> issued
            self.users = {}
            self.groups = {}
            self.attachments = {}  # id -> issued
            self.known_msgs = set()  # ids that quote_message_id may name
            self.sent = []
            self.stats_requests = {}
            self.rate_limited = 0
            self.rate_window = (None, 0)
            self.refresh_calls = 0
            self.refresh_in_flight = 0
            self.refresh_max = 0
            self.failures = []
            self.bot_webhook = {"url": "", "secret_token": None, "updated_at": 0}
            self.bot_updates = []
            self.bot_chats = {}  # chat id -> chat_type, as deliveries named them
            self.deliveries = []

    # fake clock: real time plus whatever the tests advanced
    def now(self) -> float:
        return time.time() + self.offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def new_id(self) -> str:
        with self.lock:
            self.seq += 1
            return f"{self.epoch & 0xFFFFFFFF:08x}{self.seq:012x}"

    def new_token(self, kind: str) -> str:
        return f"sim-{kind}-{self.new_id()}"

    def user(self, user_id: str) -> dict | None:
        return self.users.get(str(user_id))

    def upsert_user(self, data: dict) -> dict:
        uid = str(data["user_id"])
        user = self.users.setdefault(uid, {"user_id": uid, "display_name": f"Người dùng {uid[-4:]}",
                                           "follower": True, "last_interaction": None})
        if "display_name" in data:
            user["display_name"] = data["display_name"]
        if "follower" in data:
            user["follower"] = bool(data["follower"])
        if "last_interaction" in data:
            li = data["last_interaction"]
            user["last_interaction"] = self.now_ms() if li == "now" else (
                None if li is None else int(li))
        return user

    def record(self, entry: dict) -> dict:
        entry = {"index": len(self.sent), **entry}
        self.sent.append(entry)
        return entry


def sim_state() -> SimState:
    """The state of the simulator app serving the current request."""
    return current_app.extensions[EXTENSION]
