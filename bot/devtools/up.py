"""`make run`: everything on one machine, in order, stopped together.

redis (embedded, unless REDIS_URL) → migrate → Zalo simulator (unless Zalo credentials are set)
→ web (gunicorn) → worker(s). Ctrl-C stops them all; every child also dies with this process.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import func, select

from bot import clock
from bot.config import ROOT, Settings
from bot.logs import setup_logging
from bot.storage.db import session_scope, upgrade
from bot.storage.redis_server import EmbeddedRedis, _die_with_parent

log = logging.getLogger("bot.devtools.up")
DEMO_ORG = ROOT / "examples" / "org-dienphuoc.yaml"


def _spawn(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, preexec_fn=_die_with_parent)


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Return once ``url`` answers below 500; fail early if ``proc`` (the server) exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{getattr(proc, 'bench_name', proc.args)} exited ({proc.returncode})")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in time")


def _seed_demo(settings: Settings) -> None:
    """An empty database in demo mode gets the example organization, so the chat page has people."""
    from bot.devtools.orgs import import_org, load_org_file
    from bot.storage.models import Organization

    with session_scope(settings.database_url) as session:
        if session.scalar(select(func.count()).select_from(Organization)):
            return
        org = import_org(session, load_org_file(str(DEMO_ORG)), clock.now())
        log.info("demo organization imported: %s", org.name)


def main() -> int:
    settings = Settings.from_env()
    setup_logging(settings.log_level)
    env = dict(os.environ)
    env.setdefault("PUBLIC_URL", f"http://127.0.0.1:{settings.port}")  # export links in chat
    children: list[subprocess.Popen] = []
    redis_server = simulator = None
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if not settings.redis_url:
            redis_server = EmbeddedRedis(settings.var_dir)
            env["REDIS_URL"] = redis_server.start()
            log.info("embedded redis-server on %s", redis_server.socket)
        upgrade(settings.database_url)

        if settings.simulator_mode:
            from bot.zalo.sim import SimulatorConfig, SimulatorServer

            config = SimulatorConfig(webhook_url=f"http://127.0.0.1:{settings.port}/webhook/zalo")
            simulator = SimulatorServer(config, port=int(env.get("SIMULATOR_PORT", 8100))).start()
            env.update(
                ZALO_APP_ID=config.app_id,
                ZALO_APP_SECRET=config.app_secret,
                ZALO_OA_SECRET_KEY=config.oa_secret_key,
                ZALO_REFRESH_TOKEN=config.initial_refresh_token,
                ZALO_OPENAPI_URL=simulator.url,
                ZALO_OAUTH_URL=simulator.url,
                DEMO_CHAT="1",
            )
            _seed_demo(settings)
            log.info("no Zalo credentials: local Zalo simulator on %s", simulator.url)

        python = sys.executable
        gunicorn = str(Path(python).with_name("gunicorn"))
        children.append(
            _spawn(
                [gunicorn, "app:create_app()", "-b", f"127.0.0.1:{settings.port}", "-w", "2",
                 "-k", "gthread", "--threads", "4", "--graceful-timeout", "5", "--log-level", "warning"],
                env,
            )  # fmt: skip
        )
        for _ in range(int(env.get("WORKERS", 1))):
            children.append(_spawn([python, "worker.py"], env))
        wait_http(f"http://127.0.0.1:{settings.port}/healthz")
        where = f"http://127.0.0.1:{settings.port}/"
        print(f"\nChi hội Bot đang chạy: {where}" + (" (trang trò chuyện thử)" if simulator else ""), flush=True)
        print("Nhấn Ctrl-C để dừng.\n", flush=True)
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    log.error("a process exited (%s): stopping everything", child.args[0])
                    stopping = True
            time.sleep(0.5)
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
        if simulator is not None:
            simulator.stop()
        if redis_server is not None:
            redis_server.stop()


if __name__ == "__main__":
    sys.exit(main())
