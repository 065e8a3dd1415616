"""The RQ baseline job: does nothing, so what it costs is RQ's own bookkeeping."""


def noop(*_args) -> str:
    return "ok"
