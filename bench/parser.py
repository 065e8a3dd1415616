"""Parser throughput over the dev corpus (one process): ``run() -> [dict]``."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "parser-dev.jsonl"


def _texts() -> list[str]:
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


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

    texts = _texts()
    value = _rate(parse_report, texts)
    digits = re.compile(r"\d+")
    baseline = _rate(digits.findall, texts, 0.3)   # the crudest possible "parser"
    return [{"bench": "parser", "metric": "messages_per_second", "value": round(value, 1),
             "unit": "msg/s", "baseline": round(baseline, 1), "ratio": round(value / baseline, 4)}]


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False))
