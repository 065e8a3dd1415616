"""Benchmarks (not tests): ``make bench`` prints one JSON line per figure, each with the baseline
measured in the same run. ``BENCH_QUICK=1`` for a smaller run, ``BENCH_ONLY=webhook,end_to_end,
parser,queries`` to pick, ``BENCH_KEEP=1`` to keep the scratch directories (logs),
``BENCH_PG=postgresql://user@host:port`` for the PostgreSQL server (databases ``bench_e2e`` and
``bench_q`` are dropped and created by the benches)."""
