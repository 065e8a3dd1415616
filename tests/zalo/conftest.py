"""Fixtures for the Zalo tests; Redis and the database are the suite's own (tests/conftest.py).

Each test gets a simulator of its own (counts and tokens start fresh); nothing here is mocked.
"""

from __future__ import annotations

import pytest

from bot.zalo.sim import SimulatorConfig, SimulatorServer
from tests.zalo.helpers import Receiver, Sim


@pytest.fixture
def sim():
    server = SimulatorServer(SimulatorConfig(id_epoch=0)).start()
    helper = Sim(server)
    try:
        yield helper
    finally:
        helper.close()
        server.stop()


@pytest.fixture(autouse=True)
def _empty_database(clean_db):
    """Each Zalo test starts on an empty database: the suite's ``db_url`` (SQLite, or PostgreSQL)."""


@pytest.fixture
def redis_client(rconn):
    """The suite's Redis (embedded, or TEST_REDIS_URL), flushed before and after the test."""
    return rconn


@pytest.fixture
def receiver():
    r = Receiver()
    try:
        yield r
    finally:
        r.close()
