"""split_message: parts fit 2,000 characters by len() and UTF-16, break at boundaries, in order."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.zalo.split import split_message, utf16_len

MARKER = re.compile(r" \((\d+)/(\d+)\)$")


def strip_markers(parts):
    return [MARKER.sub("", p) for p in parts]


def test_short_text_is_one_part_without_marker():
    assert split_message("Đã nhận báo cáo") == ["Đã nhận báo cáo"]
    assert split_message("a" * 2000) == ["a" * 2000]


def test_nfc_is_applied():
    nfd = unicodedata.normalize("NFD", "Báo cáo")
    assert split_message(nfd) == ["Báo cáo"]


def test_splits_on_paragraphs_first_with_markers():
    paragraphs = [f"Chi hội {i}: " + "x" * 700 for i in range(5)]
    parts = split_message("\n\n".join(paragraphs))
    assert len(parts) == 3
    assert [MARKER.search(p).groups() for p in parts] == [("1", "3"), ("2", "3"), ("3", "3")]
    assert strip_markers(parts)[0] == "\n\n".join(paragraphs[:2])
    assert all(len(p) <= 2000 for p in parts)


def test_lines_then_words_then_hard_cut():
    lines = "\n".join(f"dòng {i} " + "y" * 90 for i in range(60))
    parts = split_message(lines)
    assert all(len(p) <= 2000 for p in parts)
    assert all(not p.startswith("\n") for p in parts)
    assert "".join(strip_markers(parts)).count("dòng") == 60
    word = "z" * 5000
    parts = split_message(word)
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert "".join(strip_markers(parts)) == word


def test_emoji_count_twice_in_utf16():
    text = "😀" * 1500  # 1500 code points but 3000 UTF-16 units
    parts = split_message(text)
    assert len(parts) == 2
    assert all(utf16_len(p) <= 2000 for p in parts)
    assert "".join(strip_markers(parts)) == text


def test_marker_width_grows_with_part_count():
    parts = split_message("w " * 12000, limit=100)
    assert len(parts) >= 100
    assert all(len(p) <= 100 and utf16_len(p) <= 100 for p in parts)
    assert parts[-1].endswith(f"({len(parts)}/{len(parts)})")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ệ\n😀Đ")) | st.characters(),
               max_size=3000),
       st.integers(min_value=20, max_value=2000))
def test_every_part_fits_and_no_words_are_lost(text, limit):
    parts = split_message(text, limit)
    nfc = unicodedata.normalize("NFC", text)
    for part in parts:
        assert len(part) <= limit and utf16_len(part) <= limit
    if len(parts) == 1 and not MARKER.search(parts[0]):
        assert parts[0] == nfc
    else:
        joined = "".join(strip_markers(parts))
        assert "".join(joined.split()) == "".join(nfc.split())
