"""The webhook's baseline: a bare Flask endpoint that does one Redis RPUSH of the body.

``gunicorn 'bench.bare_app:create_app()'`` under the same settings as the real app.
"""

from __future__ import annotations

import os

import redis
from flask import Flask, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["REDIS_URL"]
    conn = redis.Redis.from_url(url)

    @app.post("/webhook/zalo")
    def webhook():
        conn.rpush("bench:bare", request.get_data())
        return jsonify({"ok": True, "reason": "queued"})

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app
