"""Score the parser against labelled corpora: ``python -m bot.parsing.score PATH...``.

Each corpus is JSON Lines ``{"text", "expect": [{"indicator", "quantity", "value_vnd"}],
"ambiguous"?: bool}``; ambiguous cases are listed, not scored. Per corpus it prints

* exact: share of messages whose items are exactly the expected ones, in order;
* precision: items read that are expected (as a multiset per message) / items read;
* sure precision: of the items marked ``sure``, the share that are right;
* sure recall: sure-and-right items / expected items.

It exits 1 when a corpus is below its thresholds (:data:`THRESHOLDS`, by file name, else
:data:`DEFAULT`) and 2 when a corpus file is missing or unreadable: CI runs it as a named
step against the shared corpora, which the test suite never reads.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.parsing.grammar import parse_report

# The level reached, so that a change that reads fewer messages right fails CI.
THRESHOLDS: dict[str, dict[str, float]] = {
    "parser-dev.jsonl": {"exact": 0.98, "precision": 0.99, "sure_precision": 0.995, "sure_recall": 0.95},
    "parser-real-dev.jsonl": {"exact": 0.95, "precision": 0.98, "sure_precision": 0.995, "sure_recall": 0.90},
}
DEFAULT = {"exact": 0.95, "precision": 0.97, "sure_precision": 0.99, "sure_recall": 0.90}


@dataclass
class Score:
    cases: int = 0
    exact: int = 0
    ambiguous: int = 0
    read: int = 0           # items the parser gave
    right: int = 0          # ... that are expected
    expected: int = 0
    sure: int = 0           # items marked sure
    sure_right: int = 0

    def rates(self) -> dict[str, float]:
        def ratio(a: int, b: int) -> float:
            return a / b if b else 1.0
        return {"exact": ratio(self.exact, self.cases), "precision": ratio(self.right, self.read),
                "sure_precision": ratio(self.sure_right, self.sure),
                "sure_recall": ratio(self.sure_right, self.expected)}


def _key(item: dict) -> tuple:
    return item["indicator"], item["quantity"], item["value_vnd"]


def score_case(score: Score, case: dict) -> bool:
    """Add one labelled message to ``score``; True when it was read exactly."""
    got = parse_report(case["text"]).to_json()["items"]
    expect = [_key(e) for e in case["expect"]]
    score.cases += 1
    score.expected += len(expect)
    score.read += len(got)
    wanted = Counter(expect)
    score.right += sum((Counter(_key(g) for g in got) & wanted).values())
    sure = [_key(g) for g in got if g.get("sure", True)]
    score.sure += len(sure)
    score.sure_right += sum((Counter(sure) & wanted).values())
    exact = [_key(g) for g in got] == expect
    score.exact += exact
    return exact


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh if line.strip()]
    for n, case in enumerate(cases, 1):
        if not isinstance(case.get("text"), str) or not isinstance(case.get("expect"), list):
            raise ValueError(f"line {n}: expected {{'text': str, 'expect': [...]}}")
    return cases


def score_file(path: Path, verbose: bool = False, out=sys.stdout) -> Score:
    score = Score()
    for case in load(path):
        if case.get("ambiguous"):
            score.ambiguous += 1
            continue
        if not score_case(score, case) and verbose:
            got = [_key(g) + (g.get("sure", True),) for g in parse_report(case["text"]).to_json()["items"]]
            print(f"  MISS {case['text'][:160]!r}\n       got    {got}\n       expect "
                  f"{[_key(e) for e in case['expect']]}", file=out)
    return score


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.parsing.score", description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="labelled corpora (JSON Lines)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every message not read exactly")
    args = ap.parse_args(argv)
    missing = [p for p in args.paths if not p.is_file()]
    if missing:
        for p in missing:
            print(f"parser score: corpus file not found: {p}", file=sys.stderr)
        return 2
    failed = []
    for path in args.paths:
        try:
            score = score_file(path, args.verbose)
        except (OSError, ValueError) as exc:
            print(f"parser score: cannot read {path}: {exc}", file=sys.stderr)
            return 2
        rates = score.rates()
        limits = THRESHOLDS.get(path.name, DEFAULT)
        print(f"{path.name}: {score.cases} scored, {score.ambiguous} ambiguous not scored | "
              f"exact {score.exact}/{score.cases} = {rates['exact']:.1%} | "
              f"precision {score.right}/{score.read} = {rates['precision']:.1%} | "
              f"sure precision {score.sure_right}/{score.sure} = {rates['sure_precision']:.1%} | "
              f"sure-and-right recall {score.sure_right}/{score.expected} = {rates['sure_recall']:.1%}")
        for name, floor in limits.items():
            if rates[name] < floor:
                failed.append(f"{path.name}: {name} {rates[name]:.1%} is below {floor:.1%}")
    for line in failed:
        print(f"parser score: FAIL {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
