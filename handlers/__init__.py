"""The chat command table: each handler module registers its trigger words here.

Matching ignores case, diacritics and a leading ``/``; the longest trigger wins. A message from a
chapter head that is no command is a report (handlers.report). Handlers return ``Reply`` values;
templates make the text.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.parsing.text import fold

HEAD, ADMIN, MEMBER, ANYONE = "head", "admin", "member", "anyone"


@dataclass(frozen=True)
class Reply:
    """What to say: a template and its data; ``to`` None means the sender, quoting their message."""

    template: str
    context: dict = field(default_factory=dict)
    to: str | None = None
    channel: str | None = None
    quote: bool = True


@dataclass(frozen=True)
class Command:
    name: str
    triggers: tuple[str, ...]  # folded words, e.g. ("chua bao cao",)
    handler: Callable
    roles: frozenset[str]


COMMANDS: list[Command] = []


def command(name: str, *triggers: str, roles: tuple[str, ...] = (ANYONE,)):
    """Register the decorated ``handler(message, ctx, args)`` under ``triggers``."""

    def decorate(func):
        folded = tuple(fold(t) for t in (name, *triggers))
        COMMANDS.append(Command(name, folded, func, frozenset(roles)))
        return func

    return decorate


def _normalise(text: str) -> str:
    return " ".join(fold(text).lstrip("/").split())


def match(text: str) -> tuple[Command, str] | None:
    """The command ``text`` starts with, and the rest of the text (original case), or None."""
    norm = _normalise(text)
    best: tuple[str, Command] | None = None
    for cmd in COMMANDS:
        for trigger in cmd.triggers:
            if norm == trigger or norm.startswith((trigger + " ", trigger + ":")):
                if best is None or len(trigger) > len(best[0]):
                    best = (trigger, cmd)
    if best is None:
        return None
    trigger, cmd = best
    n = len(trigger.split())
    words = text.strip().lstrip("/").split(None, n)
    rest = words[n] if len(words) > n else ""
    if len(words) == n and ":" in words[-1]:  # "xem:abc" written without a space
        rest = words[-1].split(":", 1)[1]
    return cmd, rest.lstrip(": ").strip()


def suggest(text: str, limit: int = 3) -> list[str]:
    """Command names that look like the first word(s) of ``text`` ("bạn muốn nói …?")."""
    norm = _normalise(text)
    if not norm:
        return []
    words = norm.split()
    names = {}
    for cmd in COMMANDS:
        for trigger in cmd.triggers:
            names.setdefault(trigger, cmd.name)
    candidates = []
    for n in (1, 2, 3):
        head = " ".join(words[:n])
        candidates += difflib.get_close_matches(head, list(names), n=limit, cutoff=0.75)
    seen, out = set(), []
    for trigger in candidates:
        if names[trigger] not in seen:
            seen.add(names[trigger])
            out.append(names[trigger])
    return out[:limit]


def load_all() -> None:
    """Import every handler module so that each registers itself (idempotent)."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
