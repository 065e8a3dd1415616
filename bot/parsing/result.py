"""What the parser returns (plain frozen values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Item:
    indicator: str
    quantity: int | None
    value_vnd: int | None
    span: tuple[int, int]      # offsets in the NFC text
    source: str                # the text of the span
    # False when the reading rests on something fragile (a figure two keys could claim, năm
    # next to a number, money with no key of its own, more figures than items): confirm first
    sure: bool = True

    def to_json(self) -> dict:
        return {"indicator": self.indicator, "quantity": self.quantity, "value_vnd": self.value_vnd,
                "sure": self.sure}


@dataclass(frozen=True)
class ParseResult:
    items: tuple[Item, ...]
    date: date | None = None
    unparsed: tuple[str, ...] = ()
    nil: bool = False          # a report of no activity ("không có hoạt động", "0")

    def to_json(self) -> dict:
        return {"items": [it.to_json() for it in self.items],
                "date": self.date.isoformat() if self.date else None,
                "nil": self.nil}
