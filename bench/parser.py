"""Parser throughput (one process): ``run() -> [dict]``.

The messages are the ``text`` of every line of the JSON Lines corpora named by
``BENCH_PARSER_CORPUS`` (paths separated by ``:``), by default the repository's own labelled
sentences (``tests/data/parser-cases.jsonl``), so ``make bench`` runs anywhere:

    BENCH_PARSER_CORPUS=a.jsonl:b.jsonl .venv/bin/python -c "from bench.parser import run; print(run())"
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "parser-cases.jsonl"


def corpus_paths() -> list[Path]:
    raw = os.environ.get("BENCH_PARSER_CORPUS", "")
    paths = [Path(p) for p in raw.split(os.pathsep) if p.strip()] or [DEFAULT_CORPUS]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"BENCH_PARSER_CORPUS: no such corpus file: {', '.join(missing)}")
    return paths


def _texts(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


def _rate(fn, texts: list[str], min_seconds: float = 1.0) -> float:
    for t in texts:       # warm caches
        fn(t)
    done, start = 0, time.perf_counter()
    while True:
        for t in texts:
            fn(t)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def run() -> list[dict]:
    from bot.parsing import parse_report

    paths = corpus_paths()
    texts = _texts(paths)
    value = _rate(parse_report, texts)
    digits = re.compile(r"\d+")
    baseline = _rate(digits.findall, texts, 0.3)   # the crudest possible "parser"
    return [{"bench": "parser", "metric": "messages_per_second", "value": round(value, 1),
             "unit": "msg/s", "baseline": round(baseline, 1), "ratio": round(value / baseline, 4),
             "corpus": [p.name for p in paths], "messages": len(texts)}]


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False))
