"""Small pieces every simulator blueprint uses: Zalo's reply bodies and request readers.

Zalo answers errors as HTTP-200 bodies ``{"error": N, "message": ...}`` (docs/zalo-platform.md,
"Error codes") and authenticates with headers whose names hold an underscore.
"""

from __future__ import annotations

import unicodedata

from flask import Response, jsonify, request

from bot.zalo.sim.state import MSG


def ok(data: dict) -> Response:
    return jsonify({"data": data, "error": 0, "message": "Success"})


def err(code: int, message: str | None = None) -> Response:
    return jsonify({"error": code, "message": message or MSG.get(code, "Unknown error")})


def invalid(field_name: str) -> Response:
    return err(-201, MSG[-201].format(field_name))


def nfc_len(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def header(name: str) -> str | None:
    """A request header whose name has an underscore (``access_token``, ``secret_key``)."""
    kept = request.environ.get("zalo_sim.underscore_headers")
    if kept is not None:
        return kept.get(name)
    return request.headers.get(name)  # under a server that passes them on (test client)


def json_body() -> dict:
    data = request.get_json(silent=True, force=True)
    return data if isinstance(data, dict) else {}
