"""Run a command as if it were another day: ``python scripts/at.py WHEN -- COMMAND ...``.

WHEN is an ISO 8601 instant with its offset (``2028-02-29T09:00+07:00``) or a libfaketime
offset (``+365d``). The command and every process it starts (embedded Redis, gunicorn, workers)
see one clock, shifted by the same number of seconds and still running, so a suite started at
23:50 on 31 December crosses the new year while it runs.

The shift is libfaketime's LD_PRELOAD, from the build that PyPI's ``libfaketime`` package ships
(pinned in requirements-test.txt). Debian 12's faketime 0.9.10 cannot run Python 3.11: with the
monotonic clock faked, timed lock waits (sem_clockwait) sleep for the whole offset; with it left
alone, ``time.sleep`` fails with EINVAL (fixed upstream after 0.9.10). The monotonic clock stays
real here, which is what timeouts need; only the calendar moves.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path


def offset_spec(when: str, now: datetime) -> str:
    """libfaketime's FAKETIME value for ``when``: a relative offset in whole seconds."""
    if when.startswith(("+", "-")):
        return when
    target = datetime.fromisoformat(when)
    if target.tzinfo is None:
        raise SystemExit(f"{when!r}: give the instant with its offset, e.g. 2028-02-29T09:00+07:00")
    return f"{round((target - now).total_seconds()):+d}"


def library() -> str:
    import libfaketime

    path = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    if not path.exists():
        raise SystemExit(f"libfaketime's library is missing at {path}")
    return str(path)


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit(__doc__.splitlines()[0])
    when, command = argv[0], argv[2:]
    env = dict(os.environ)
    env.update(FAKETIME=offset_spec(when, datetime.now(UTC)), FAKETIME_DONT_FAKE_MONOTONIC="1",
               LD_PRELOAD=":".join(filter(None, [library(), env.get("LD_PRELOAD")])))
    print(f"at {when}: FAKETIME={env['FAKETIME']}", file=sys.stderr, flush=True)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
