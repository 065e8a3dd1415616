"""The Zalo simulator as its own process, on any address: ``python -m bench.simrun HOST PORT WEBHOOK``.

Used by the benches and the multi-host test (the simulator's own command binds only 127.0.0.1).
"""

from __future__ import annotations

import signal
import sys
import threading

from bot.zalo.sim import SimulatorConfig, SimulatorServer


def main() -> None:
    host, port, webhook = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    config = SimulatorConfig(webhook_url=webhook, rate_limit_per_minute=10**9)
    server = SimulatorServer(config, port=port, host=host).start()
    print(f"simulator on {server.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
