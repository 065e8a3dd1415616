"""OAuth v4: ``POST /v4/oa/access_token`` for the refresh-token and authorization-code grants.

Refresh tokens are single use and rotate on every call; access tokens live 25 h on the fake
clock (docs/zalo-platform.md, "Access and refresh tokens"). The endpoint can be made slow
(``refresh_latency``) and counts its concurrent calls, so tests can see a refresh stampede.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from bot.zalo.sim.common import err, header
from bot.zalo.sim.state import ACCESS_TTL, CODE_TTL, REFRESH_TTL, SimState, sim_state

bp = Blueprint("zalo_sim_oauth", __name__)


@bp.post("/v4/oa/access_token")
def access_token():
    state = sim_state()
    config = state.config
    form = request.form
    if header("secret_key") != config.app_secret or form.get("app_id") != config.app_id:
        return err(-14001)
    grant = form.get("grant_type")
    with state.lock:
        state.refresh_calls += grant == "refresh_token"
        state.refresh_in_flight += 1
        state.refresh_max = max(state.refresh_max, state.refresh_in_flight)
    try:
        if config.refresh_latency:
            time.sleep(config.refresh_latency)
        return _grant(state, grant, form)
    finally:
        with state.lock:
            state.refresh_in_flight -= 1


def _grant(state: SimState, grant: str | None, form) -> Response:
    """Spend the refresh token or code in ``form``; a new token pair, or the error body."""
    with state.lock:
        if grant == "refresh_token":
            issued = state.refresh.pop(form.get("refresh_token", ""), None)  # single use
            if issued is None or state.now() - issued > REFRESH_TTL:
                return err(-14014)
        elif grant == "authorization_code":
            issued = state.codes.pop(form.get("code", ""), None)
            if issued is None or state.now() - issued > CODE_TTL:
                return err(-14019)
        else:
            return err(-14001, "grant_type is invalid")
        access, refresh = state.new_token("at"), state.new_token("rt")
        state.access[access] = state.now()
        state.refresh[refresh] = state.now()
    return jsonify({"access_token": access, "refresh_token": refresh,
                    "expires_in": str(ACCESS_TTL), "refresh_token_expires_in": str(REFRESH_TTL)})
