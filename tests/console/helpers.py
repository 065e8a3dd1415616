"""Shared steps of the console tests: a login link from the chat, opening it, reading forms."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from bot import clock
from bot.devtools.orgs import import_org
from bot.parsing.result import Item
from bot.storage.db import session_scope
from bot.storage.models import Chapter, Identity, Organization, Report
from bot.storage.reports import add_report

ORG = "ctd-dienphuoc"
ADMIN = "7001000000000000001"  # Nguyễn Văn An
MEMBER = "7001000000000000003"  # Lê Văn Cường, committee member (reads only)
HEAD1 = "7002000000000000001"  # head of NHIDINH1
HEAD2 = "7002000000000000002"  # head of NHIDINH2
LINK = re.compile(r"https?://\S+?(/console/login/[A-Za-z0-9_.\-]+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def link_path(chat, user_id: str) -> str:
    """Ask the bot for a login link as ``user_id``; the link's path."""
    answer = chat.ask(user_id, "đăng nhập")
    found = LINK.search(answer)
    assert found, answer
    return found.group(1)


def log_in(client, chat, user_id: str):
    path = link_path(chat, user_id)
    resp = client.get(path)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert resp.headers["Location"].endswith("/console/")
    return resp


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return CSRF.search(page.get_data(as_text=True)).group(1)


def person_id(settings, user_id: str) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(Identity.person_id).where(Identity.external_id == user_id))


def chapter_id(settings, code: str, org_code: str = ORG) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(Chapter.id).join(Organization, Organization.id == Chapter.org_id)
                        .where(Chapter.code == code, Organization.code == org_code))


def add(settings, code: str, text: str, items, status: str = "pending", org_code: str = ORG,
        day: date | None = None) -> int:
    """A report stored directly (as the report handler stores it); its id."""
    with session_scope(settings.database_url) as s:
        chapter = s.scalar(select(Chapter).join(Organization, Organization.id == Chapter.org_id)
                           .where(Chapter.code == code, Organization.code == org_code))
        report = add_report(s, org_id=chapter.org_id, chapter_id=chapter.id, person_id=None, event_id=None,
                            report_date=day or clock.now().date(), raw_text=text,
                            items=[Item(ind, q, v, (0, 0), "") for ind, q, v in items], now=clock.now(), status=status)
        return report.id


def status_of(settings, report_id: int) -> str:
    with session_scope(settings.database_url) as s:
        return s.get(Report, report_id).status


def other_org(settings) -> None:
    """A second organization with its own committee and chapters."""
    spec = {
        "code": "ctd-other", "name": "Hội Chữ thập đỏ xã Khác",
        "committee": [{"zalo_user_id": "7009000000000000001", "name": "Người Khác", "role": "admin"}],
        "chapters": [{"code": "KHAC1", "name": "Chi hội thôn Khác", "kind": "village",
                      "head": "7009000000000000002"}],
    }
    with session_scope(settings.database_url) as s:
        import_org(s, spec, clock.now())
