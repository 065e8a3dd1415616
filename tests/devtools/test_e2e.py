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

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_in(root: Path) -> list[tuple[int, str]]:
    """(pid, name) of every process working in ``root`` or below (redis-server chdirs to its --dir)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            name = (proc / "comm").read_text().strip()
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            found.append((int(proc.name), name))
    return found


def fresh_copy(dest: Path) -> Path:
    """The repository as a clone has it: no venv, no var/, no instance/, no database."""
    ignore = shutil.ignore_patterns(".git", ".venv", "var", "instance", "__pycache__", ".pytest_cache",
                                    ".hypothesis", ".ruff_cache", ".env", "*.db", "*.db-*")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    """`make run` in a fresh copy with its own defaults: embedded Redis, SQLite in instance/,
    the simulator. Only the ports are chosen (a test must not take 8000 from whoever has it),
    and the copy is pointed at this test run's virtualenv instead of installing its own."""
    repo = fresh_copy(tmp_path_factory.mktemp("clone") / "chi-hoi-bot")
    port, sim_port = free_port(), free_port()
    own = ("ZALO_", "REDIS_URL", "DATABASE_URL", "TEST_", "VAR_DIR", "SECRET_KEY", "PUBLIC_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(PORT=str(port), SIMULATOR_PORT=str(sim_port), LOG_LEVEL="WARNING")
    # A new session, like a terminal's foreground job: Ctrl-C reaches make and all it started.
    proc = subprocess.Popen(["make", "-s", "run", f"VENV={sys.prefix}"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            pytest.fail("make run exited:\n" + proc.stdout.read())
        time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the system did not become healthy")
    yield {"base": base, "proc": proc, "repo": repo, "var": repo / "var"}
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
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
        # The browser is the person's phone, on its own clock: no shifted clock (scripts/at.py) in it.
        own_clock = {k: v for k, v in os.environ.items() if not k.startswith(("LD_PRELOAD", "FAKETIME"))}
        browser = p.chromium.launch(
            executable_path=chromium, env=own_clock,
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


def test_make_run_uses_its_defaults_and_ctrl_c_leaves_no_process(system):
    proc, repo = system["proc"], system["repo"]
    assert (repo / "instance" / "bot.db").exists(), "make run's default database is instance/bot.db"
    assert (repo / "var" / "redis.sock").exists(), "make run's default Redis is the embedded one in var/"
    names = {name for _pid, name in processes_in(repo)}
    assert any(n.startswith("redis-server") for n in names), names
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    proc.wait(30)
    deadline = time.monotonic() + 10
    while processes_in(repo) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_in(repo) == []
