"""The Zalo tests' helpers: a simulator of their own with a small inspection client, a webhook receiver."""

from __future__ import annotations

import time

import requests

from bot.config import Settings
from bot.zalo.sim import SimulatorServer


class Sim:
    """A running simulator plus a small client for its inspection API."""

    def __init__(self, server: SimulatorServer):
        self.server = server
        self.url = server.url
        self.config = server.config
        self.http = requests.Session()

    def get(self, path: str, **params):
        response = self.http.get(self.url + path, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body=None):
        response = self.http.post(self.url + path, json=body if body is not None else {},
                                  timeout=10)
        response.raise_for_status()
        return response.json()

    def sent(self, **params) -> list[dict]:
        return self.get("/__fake/sent", **params)["messages"]

    def stats(self) -> dict:
        return self.get("/__fake/stats")

    def add_user(self, user_id: str, last_interaction="now", **extra) -> None:
        self.post("/__fake/users", {"user_id": user_id, "last_interaction": last_interaction,
                                    **extra})

    def advance(self, seconds: float) -> None:
        self.post("/__fake/advance_clock", {"seconds": seconds})

    def fail_next(self, path: str, mode: str = "error", count: int = 1, **extra) -> None:
        self.post("/__fake/fail_next", {"path": path, "mode": mode, "count": count, **extra})

    def settings(self, **overrides) -> Settings:
        values = dict(zalo_app_id=self.config.app_id, zalo_app_secret=self.config.app_secret,
                      zalo_oa_secret_key=self.config.oa_secret_key,
                      zalo_refresh_token=self.config.initial_refresh_token,
                      zalo_openapi_url=self.url, zalo_oauth_url=self.url,
                      zalo_bot_api_url=self.url, zalo_bot_token=self.config.bot_token,
                      zalo_timeout=3.0)
        values.update(overrides)
        return Settings(**values)

    def close(self) -> None:
        self.http.close()


class Receiver:
    """A tiny webhook receiver on 127.0.0.1: records every request, answers from a script.

    Plain http.server (not werkzeug) so that headers with underscores (``num_retry``) survive."""

    def __init__(self, script=None):
        import http.server
        import threading

        self.requests = []  # (headers dict, body bytes)
        self.script = list(script or [])  # items: status int, or (status, delay seconds)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                step = outer.script.pop(0) if outer.script else 200
                status, delay = step if isinstance(step, tuple) else (step, 0)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook/zalo"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
