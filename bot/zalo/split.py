"""Splitting long replies and digests into parts Zalo accepts (2,000 characters each).

Zalo counts "characters"; whether code points or UTF-16 units is unknown, so every part keeps
both ``len()`` and the UTF-16 length within the limit, measured after NFC
(docs/zalo-platform.md#text-length). Breaks fall on paragraphs, then lines, then words, and
only then inside a word; parts get " (1/3)" markers.
"""

from __future__ import annotations

import unicodedata

SEPARATORS = ("\n\n", "\n", " ")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fits(text: str, budget: int) -> bool:
    return len(text) <= budget and utf16_len(text) <= budget


def split_message(text: str, limit: int = 2000) -> list[str]:
    """``text`` (NFC) as a list of parts, each within ``limit`` by len() and UTF-16 length.

    A text that fits is returned as one part, unchanged but for NFC; otherwise each part ends
    with a marker like " (2/5)"."""
    if limit < 16:
        raise ValueError("limit too small to hold a part marker")
    text = unicodedata.normalize("NFC", text)
    if _fits(text, limit):
        return [text]
    digits = 1
    while True:
        marker_len = len(f" ({'9' * digits}/{'9' * digits})")
        parts = [p for p in (part.strip() for part in _pack(text, limit - marker_len, 0)) if p]
        if len(str(len(parts))) <= digits:
            total = len(parts)
            return [f"{part} ({i}/{total})" for i, part in enumerate(parts, 1)]
        digits += 1


def _pack(text: str, budget: int, level: int) -> list[str]:
    """Greedy packing of ``text`` into pieces that fit, breaking at SEPARATORS[level:]."""
    if _fits(text, budget):
        return [text]
    if level == len(SEPARATORS):
        return _hard_cut(text, budget)
    sep = SEPARATORS[level]
    out: list[str] = []
    current: str | None = None
    for chunk in text.split(sep):
        # A piece that is itself too long is broken at the next finer separator. Greedy
        # packing there guarantees no two of its pieces could be rejoined here.
        for piece in ([chunk] if _fits(chunk, budget) else _pack(chunk, budget, level + 1)):
            candidate = piece if current is None else current + sep + piece
            if _fits(candidate, budget):
                current = candidate
            else:
                if current is not None:
                    out.append(current)
                current = piece
    if current is not None:
        out.append(current)
    return out


def _hard_cut(text: str, budget: int) -> list[str]:
    """Cut inside a word: never between a base letter and its combining marks."""
    out = []
    start = 0
    while start < len(text):
        end, units = start, 0
        while end < len(text):
            step = 2 if ord(text[end]) > 0xFFFF else 1
            if end - start + 1 > budget or units + step > budget:
                break
            units += step
            end += 1
        back = end
        while start < back < len(text) and unicodedata.combining(text[back]):
            back -= 1
        if back > start:
            end = back
        out.append(text[start:end])
        start = end
    return out


__all__ = ["split_message", "utf16_len"]
