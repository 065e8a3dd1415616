"""One Jinja environment over templates/, with the Vietnamese number and date filters.

Templates make every word people read; Python code passes data. Output is plain text for Zalo,
so nothing is HTML-escaped: user text is data inside the template, never template source.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def number(n: int | float | None) -> str:
    """12500000 -> ``12.500.000`` (dots group thousands, comma for decimals)."""
    if n is None:
        return "0"
    if isinstance(n, float) and not n.is_integer():
        whole, frac = f"{n:,.1f}".split(".")
        return whole.replace(",", ".") + "," + frac
    return f"{int(n):,}".replace(",", ".")


def vnd(n: int | None) -> str:
    return f"{number(n or 0)} đ"


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ)
    return value.strftime("%d/%m/%Y")


def clock(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(VN_TZ).strftime("%H:%M")


def percent(part: int | None, whole: int | None) -> str:
    if not whole:
        return "—"
    return f"{round(100 * (part or 0) / whole)}%"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.filters.update(number=number, vnd=vnd, day=day, clock=clock)
    env.globals.update(percent=percent)
    return env


def render(template: str, **context) -> str:
    """Render ``templates/<template>.txt`` and trim blank edges."""
    return environment().get_template(f"{template}.txt").render(**context).strip()
