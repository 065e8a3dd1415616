"""``GET /exports/<token>``: the .xlsx behind a signed export link, regenerated from the database."""

from __future__ import annotations

import io

from flask import Blueprint, current_app, send_file
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select

from bot.render import render
from bot.reporting.xlsx import file_name, read_token, write_workbook
from bot.storage.db import session_scope
from bot.storage.models import Organization

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("exports", __name__)


@bp.get("/exports/<token>")
def download(token: str):
    settings = current_app.config["SETTINGS"]
    try:
        org_code, start, end = read_token(settings.secret_key, token)
    except SignatureExpired:
        return _page("export_expired", 410)
    except BadSignature:
        return _page("export_invalid", 404)
    buf = io.BytesIO()
    with session_scope(settings.database_url) as session:
        org = session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            return _page("export_invalid", 404)
        write_workbook(session, org, start, end, buf)
    buf.seek(0)
    return send_file(buf, mimetype=XLSX, as_attachment=True, download_name=file_name(org_code, start, end))


def _page(template: str, status: int):
    return render(template), status, {"Content-Type": "text/plain; charset=utf-8"}
