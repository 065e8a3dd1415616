"""The parser's work, counted rather than timed: lines of ``bot.parsing`` executed.

A count does not depend on how busy the machine is, so tests compare the work for an input
of size n and 2n (linear: about twice; quadratic: about four times) instead of seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bot.parsing

PARSING_DIR = str(Path(bot.parsing.__file__).resolve().parent)


def lines_run(fn, *args, **kwargs) -> int:
    """How many lines of code in ``bot/parsing`` ``fn(*args, **kwargs)`` executes."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def on_call(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(PARSING_DIR) else None

    old = sys.gettrace()
    sys.settrace(on_call)
    try:
        fn(*args, **kwargs)
    finally:
        sys.settrace(old)
    return count


def growth(fn, make_text, size: int) -> float:
    """Work for a text of ``2 * size`` characters over the work for ``size`` (caches warmed first)."""
    small, big = make_text(size), make_text(2 * size)
    fn(big)                                  # warm the per-word memos, as a running worker has them
    fn(small)
    return lines_run(fn, big) / max(1, lines_run(fn, small))


def repeat_to(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]
