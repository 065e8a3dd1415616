"""The chat commands, one module each; a head's message that is no command is a report (``report``).

Each module registers its handler with the router (``bot.conversation.router``) when imported:
``@command(...)`` for a command's trigger words, ``@default`` for reports. ``app.py`` and
``worker.py`` call ``load_all()`` once at start-up; nothing under ``bot/`` imports this package.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every handler module so that each registers itself with the router (idempotent)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
