"""The simulator app and its server: ``create_simulator`` registers the blueprints and the
hooks every Zalo path goes through (request counts, injected failures, the per-minute rate
limit with its ``X-RateLimit-*`` headers); ``SimulatorServer`` serves it on loopback in a
thread; ``simulator_command`` is ``flask --app app zalo-simulator``.
"""

from __future__ import annotations

import threading
import time

import click
from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from bot.zalo.sim import botapi, inspect, oa, oauth
from bot.zalo.sim.common import err
from bot.zalo.sim.state import EXTENSION, MSG, SimState, SimulatorConfig, sim_state

RATE_LIMITED = ("/v2.0/", "/v3.0/")  # the OA Open API paths the rate limit counts


class _QuietHandler(WSGIRequestHandler):
    """Keeps Zalo's underscore headers and writes no access log (paths carry the Bot token).

    werkzeug (like gunicorn and nginx) drops headers whose names contain ``_``, but Zalo's
    auth headers are exactly ``access_token`` and ``secret_key``: keep them aside, verbatim."""

    def make_environ(self):
        environ = super().make_environ()
        environ["zalo_sim.underscore_headers"] = {
            key.lower(): value for key, value in self.headers.items() if "_" in key}
        return environ

    def log_request(self, code="-", size="-"):
        pass


def create_simulator(config: SimulatorConfig | None = None) -> Flask:
    """The simulator's Flask app; its state lives in ``app.extensions["zalo_sim"]``."""
    app = Flask("zalo_simulator")
    app.extensions[EXTENSION] = SimState(config or SimulatorConfig())
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    for blueprint in (oauth.bp, oa.bp, botapi.bp, inspect.bp):
        app.register_blueprint(blueprint)
    app.before_request(_cross_cutting)
    app.after_request(_rate_headers)
    return app


# -- cross-cutting: counting, injected failures, rate limit ----------------------------------
def _stat_path() -> str:
    path = request.path
    if path.startswith("/bot"):
        rest = path[4:].split("/", 1)
        return "/bot<token>/" + (rest[1] if len(rest) > 1 else "")
    return path


def _cross_cutting() -> Response | None:
    path = request.path
    if path.startswith("/__fake"):
        return None
    state = sim_state()
    rule = _count_and_take_failure(state, path)
    if rule is not None and (failed := _inject(rule, path)) is not None:
        return failed
    if path.startswith(RATE_LIMITED):
        return _rate_limit(state)
    return None


def _count_and_take_failure(state: SimState, path: str) -> dict | None:
    """Count the request; the first pending failure rule for its path, used up by one."""
    with state.lock:
        key = _stat_path()
        state.stats_requests[key] = state.stats_requests.get(key, 0) + 1
        rule = next((r for r in state.failures if path.startswith(r["path"])), None)
        if rule is not None:
            rule["count"] -= 1
            if rule["count"] <= 0:
                state.failures.remove(rule)
    return rule


def _inject(rule: dict, path: str) -> Response | None:
    """Play a failure rule: sleep, then an HTTP error or an error body (None: answer late)."""
    delay = float(rule.get("delay") or 0)
    mode = rule.get("mode", "error")
    if mode == "timeout":
        time.sleep(delay or 3.0)  # then answer normally, too late for the client
        return None
    if delay:
        time.sleep(delay)
    if mode == "http500":
        return Response("Internal Server Error", status=500, mimetype="text/plain")
    if mode == "http502":
        return Response("Bad Gateway", status=502, mimetype="text/plain")
    if mode == "http429":
        return Response("Too Many Requests", status=429, mimetype="text/plain")
    if mode == "error":
        code = int(rule.get("error", -200))
        if path.startswith("/bot"):
            return jsonify({"ok": False, "error_code": code,
                            "description": rule.get("message") or "Error"})
        return err(code, rule.get("message") or MSG.get(code, "Send message failed"))
    return None


def _rate_limit(state: SimState) -> Response | None:
    """Count the call in this fake minute; -32 past ``rate_limit_per_minute``."""
    with state.lock:
        minute = int(state.now() // 60)
        window, count = state.rate_window
        count = count + 1 if window == minute else 1
        state.rate_window = (minute, count)
        limit = state.config.rate_limit_per_minute
        if count > limit:
            state.rate_limited += 1
            response = err(-32)
            remain = 0
        else:
            response = None
            remain = limit - count
    request.environ["zalo_sim.remain"] = remain
    return response


def _rate_headers(response: Response) -> Response:
    if request.path.startswith(RATE_LIMITED):
        limit = sim_state().config.rate_limit_per_minute
        response.headers["X-RateLimit-Limit"] = str(limit)
        response.headers["X-RateLimit-Remain"] = str(request.environ.get("zalo_sim.remain", limit))
    return response


# -- serving ----------------------------------------------------------------------------------
class SimulatorServer:
    """The simulator served on 127.0.0.1 in a daemon thread; ``url`` once started."""

    def __init__(self, config: SimulatorConfig | None = None, port: int = 0,
                 host: str = "127.0.0.1"):
        self.config = config or SimulatorConfig()
        self.app = create_simulator(self.config)
        self.host, self.port = host, port
        self._server = None
        self._thread = None

    @property
    def state(self) -> SimState:
        return self.app.extensions[EXTENSION]

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> SimulatorServer:
        self._server = make_server(self.host, self.port or 0, self.app, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="zalo-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@click.command("zalo-simulator")
@click.option("--port", default=8100, show_default=True, type=int)
@click.option("--webhook-url", default=None, help="Where OA events are delivered.")
@click.option("--bot-webhook-url", default=None, help="Where Bot updates are delivered.")
@click.option("--bot-secret-token", default=None)
@click.option("--app-id", default=SimulatorConfig.app_id, show_default=True)
@click.option("--app-secret", default=SimulatorConfig.app_secret)
@click.option("--oa-secret-key", default=SimulatorConfig.oa_secret_key)
@click.option("--refresh-token", default=SimulatorConfig.initial_refresh_token)
def simulator_command(port, webhook_url, bot_webhook_url, bot_secret_token, app_id, app_secret,
                      oa_secret_key, refresh_token):
    """Serve the local Zalo simulator (OA API, OAuth v4, Bot API, /__fake) on 127.0.0.1."""
    config = SimulatorConfig(app_id=app_id, app_secret=app_secret, oa_secret_key=oa_secret_key,
                             initial_refresh_token=refresh_token, webhook_url=webhook_url,
                             bot_webhook_url=bot_webhook_url, bot_secret_token=bot_secret_token)
    server = make_server("127.0.0.1", port, create_simulator(config), threaded=True,
                         request_handler=_QuietHandler)
    click.echo(f"Zalo simulator on http://127.0.0.1:{server.server_port} (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
