"""Our local Zalo: the OA Open API, OAuth v4 and the Bot API on a loopback server, with a clock.

It behaves as docs/zalo-platform.md describes Zalo ("What the simulator models"): errors as
HTTP-200 bodies, the ``access_token`` header, 25 h access tokens on a fake clock, single-use
rotating refresh tokens, the 7-day window, groups, uploads, rate limits and injected failures.
``/__fake/*`` is the inspection API tests and the demo chat page use: what was sent, stats,
users, groups, clock, failures, deliveries (through ``WebhookDriver``, signed as Zalo signs).

Modules: ``state`` (configuration, state, fake clock), ``oauth``, ``oa`` and ``botapi`` (the
three Zalo surfaces, one blueprint each), ``inspect`` (``/__fake/*``), ``server`` (the app
factory, cross-cutting hooks, the threaded server and the CLI command) and ``driver`` (plays
Zalo's side of our webhook).
"""

from bot.zalo.sim.driver import DeliveryResult, WebhookDriver
from bot.zalo.sim.server import SimulatorServer, create_simulator, simulator_command
from bot.zalo.sim.state import SimState, SimulatorConfig

__all__ = ["DeliveryResult", "SimState", "SimulatorConfig", "SimulatorServer", "WebhookDriver",
           "create_simulator", "simulator_command"]
