"""GET /healthz: 200 when Redis and the database answer, else 503."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from bot.db import get_engine
from bot.redis_server import app_redis

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
    return jsonify({"ok": ok, **checks}), 200 if ok else 503
