"""`make run`'s demo chat page points to the console: send `đăng nhập`, open the link."""

from __future__ import annotations

import dataclasses

from app import create_app
from tests.console.helpers import ADMIN, link_path


def test_the_demo_page_links_to_the_console(chat, org, settings, client, example_day):
    demo = create_app(dataclasses.replace(settings, demo_chat=True)).test_client()
    page = demo.get("/demo").get_data(as_text=True)
    assert 'id="console-hint"' in page and "<b>đăng nhập</b>" in page and 'href="/console/"' in page
    assert client.get("/console/").status_code == 302  # not logged in: to the page that explains the link
    path = link_path(chat, ADMIN)  # what the hint says to do, as the admin the demo lists
    assert client.get(path).status_code == 302 and client.get("/console/").status_code == 302
