"""GET /healthz: 200 when Redis and the database answer, else 503."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from bot.storage.db import get_engine, session_scope
from bot.storage.models import ZaloToken
from bot.storage.redis_server import app_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    settings = current_app.config["SETTINGS"]
    checks = {}
    try:
        checks["redis"] = bool(app_redis(current_app).ping())
    except Exception:  # any failure means "not healthy", whatever the driver raises
        checks["redis"] = False
    try:
        with get_engine(settings.database_url).connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    ok = all(checks.values())
    # Not part of "ok" (a restart cannot fix it), but monitoring must see it: a refresh token Zalo
    # rejected stops every OA send until an admin redoes the consent (bot.zalo.oauth).
    tokens = "unknown"
    if checks["database"]:
        try:
            with session_scope(settings.database_url) as session:
                row = session.get(ZaloToken, "oa")
                tokens = "broken" if row is not None and row.broken_reason else "ok"
        except Exception:
            pass
    return jsonify({"ok": ok, **checks, "zalo_tokens": tokens}), 200 if ok else 503
