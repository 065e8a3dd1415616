"""The console in headless Chromium: the chat's login link and every console page on
a 390×844 phone and a 1280×800 desktop, with a screenshot of each kept under the test's tmp_path,
and no console error or page error anywhere (our CSP refuses inline scripts and styles)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.console.helpers import ADMIN, HEAD1, ORG, link_path

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
# Every console page: its URL under /console/o/<org>/, an element, what that element shows.
PAGES = {
    "dashboard": ("", "#ind-gifts", ("20 suất", "10.000.000 đ")),
    "reports": ("reports?from=2026-11-01&to=2026-11-30", "article.report", ("qua 20 tri gia 10tr, mau 8",)),
    "report": ("reports/1", "#item-1", ("Suất quà: 20 suất", "Sửa")),
    "targets": ("targets", "#targets", ("Chi hội thôn Nhị Dinh 1", "Suất quà")),
    "settings": ("settings", "#preview", ("• Nhị Dinh 1: quà 20 suất (10.000.000 đ) · máu 8 đv",)),
    "chapters": ("chapters", "#chapter-1", ("Chi hội thôn Nhị Dinh 1", "Đổi tên")),
}


@pytest.mark.browser
def test_console_pages_in_headless_chromium(chat, org, live_app, example_day, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed here; `apt-get install chromium` to run this test")
    from playwright.sync_api import sync_playwright

    assert "Đã ghi nhận" in chat.ask(HEAD1, "qua 20 tri gia 10tr, mau 8")
    path = link_path(chat, ADMIN)
    errors: list[str] = []
    with sync_playwright() as p:
        own_clock = {k: v for k, v in os.environ.items() if not k.startswith(("LD_PRELOAD", "FAKETIME"))}
        browser = p.chromium.launch(
            executable_path=chromium, env=own_clock,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(live_app + path)
            assert page.url.endswith(f"/console/o/{ORG}/"), page.url
            for name, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                for shot, (url, selector, wanted) in PAGES.items():
                    page.goto(f"{live_app}/console/o/{ORG}/{url}")
                    shown = page.locator(selector).first.inner_text()
                    assert all(w in shown for w in wanted), (shot, shown)
                    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
                    if shot == "dashboard":  # the month's chart, the digest's PNG, loaded
                        assert page.evaluate("document.getElementById('chart').complete && "
                                             "document.getElementById('chart').naturalWidth") > 0
                    page.screenshot(path=str(tmp_path / f"{shot}-{name}.png"), full_page=True)
                page.locator("#chapter-1 >> text=Ngừng…").click()  # the confirmation step (a POST's answer)
                assert "Ngừng Chi hội thôn Nhị Dinh 1?" in page.locator("#question").inner_text()
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.screenshot(path=str(tmp_path / f"confirm-{name}.png"), full_page=True)
                page.click("text=Thôi, quay lại")
            page.click("text=Đăng xuất")
            assert "/console/login" in page.url and "đăng nhập" in page.content()
        finally:
            browser.close()
    assert errors == []
    assert sorted(f.name for f in tmp_path.glob("*.png")) == sorted(f"{p}-{s}.png" for p in [*PAGES, "confirm"] for s in SIZES)
