"""`make run`'s launcher as a newcomer gets it: real subprocesses (embedded redis-server,
gunicorn, `python worker.py`, the simulator), the demo chat page, and a clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_servers_for(var_dir: Path) -> list[int]:
    """PIDs of redis-server processes working in ``var_dir`` (redis chdirs to its --dir)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            name = (proc / "comm").read_text().strip()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if name.startswith("redis-server") and Path(cwd) == var_dir:
            pids.append(int(proc.name))
    return pids


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    var = tmp_path_factory.mktemp("system")
    port, sim_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "REDIS_URL", "DATABASE_URL", "TEST_"))}
    env.update(PORT=str(port), SIMULATOR_PORT=str(sim_port), VAR_DIR=str(var / "var"),
               DATABASE_URL=f"sqlite:///{var / 'bot.db'}", LOG_LEVEL="WARNING")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot.up"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            pytest.fail("bot.up exited:\n" + proc.stdout.read())
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the system did not become healthy")
    yield {"base": base, "proc": proc, "var": var / "var"}
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def wait_for_reply(base: str, user_id: str, since: int = 0, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = requests.get(f"{base}/demo/api/messages", params={"user_id": user_id, "since": since}, timeout=5).json()
        if data["messages"]:
            return data["messages"]
        time.sleep(0.2)
    return []


def test_demo_page_lists_the_example_organization(system):
    page = requests.get(system["base"] + "/", timeout=5)
    assert page.status_code == 200
    assert "Chi hội thôn Nhị Dinh 1" in page.text and "Ban Thường vụ" in page.text


def test_report_through_the_running_system_gets_its_reply(system):
    base = system["base"]
    head = "7002000000000000002"
    sent = requests.post(f"{base}/demo/api/send", json={"user_id": head, "text": "qua 20 tri gia 10tr, mau 8, hv moi 5"}, timeout=10)
    assert sent.status_code == 200 and sent.json()["status"] == 200
    replies = wait_for_reply(base, head)
    assert len(replies) == 1
    assert "20 suất" in replies[0]["text"] and "10.000.000 đ" in replies[0]["text"]
    assert replies[0]["quote_message_id"] == sent.json()["msg_id"]


@pytest.mark.browser
def test_chat_page_in_headless_chromium(system):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed here; `apt-get install chromium` to run this test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page()
            page.goto(system["base"] + "/")
            page.select_option("#who", "7002000000000000003")
            page.fill("#text", "mau 12, qua 4")
            page.click("button[type=submit]")
            reply = page.locator(".msg.bot").first
            reply.wait_for(timeout=20000)
            text = reply.inner_text()
            assert "Đã ghi nhận" in text and "Máu: 12" in text
            page.screenshot(path=str(system["var"] / "chat.png"))
        finally:
            browser.close()


def test_stopping_the_launcher_leaves_no_redis_server(system):
    proc = system["proc"]
    assert redis_servers_for(system["var"]), "the embedded redis-server should be running"
    proc.send_signal(signal.SIGINT)
    proc.wait(30)
    deadline = time.monotonic() + 10
    while redis_servers_for(system["var"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert redis_servers_for(system["var"]) == []
