"""Text normalisation shared by the parser and the command router (pure, no I/O).

* :func:`nfc` and :func:`fold` are the public helpers (the router imports ``fold``).
* :func:`tokenize` cuts NFC text into word, number, newline and punctuation tokens
  with one linear regular expression; every token keeps its offsets in the NFC text,
  its folded form and its "diacritic signature" (which marks it carries), so the
  grammar can match on folded text while letting the accents decide ambiguous words.
* :func:`untelex` reads Telex leftovers (``quaf`` -> ``qua`` + grave = ``quà``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC form, the form Zalo counts and we store."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Fold case and diacritics for matching: ``Hủy`` -> ``huy``, ``Đơn`` -> ``don``.

    Idempotent; never lengthens the string.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    folded = unicodedata.normalize("NFC", stripped).lower()
    # ``lower()`` may lengthen a few exotic letters (U+0130); keep the promise.
    return folded if len(folded) <= len(text) else stripped[: len(text)]


# --------------------------------------------------------------------------- diacritics
ACUTE, GRAVE, HOOK, TILDE, DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
CIRCUMFLEX, BREVE, HORN = "\u0302", "\u0306", "\u031b"
STROKE = "D"  # stands for the bar of đ in a signature


def signature(word: str) -> str:
    """The marks a word carries, order-free: ``hoà`` and ``hòa`` give the same."""
    low = word.lower()
    marks = [ch for ch in unicodedata.normalize("NFD", low) if unicodedata.category(ch) == "Mn"]
    if "đ" in low:
        marks.append(STROKE)
    return "".join(sorted(marks))


_TONE_KEYS = {"s": ACUTE, "f": GRAVE, "r": HOOK, "x": TILDE, "j": DOT}
_DOUBLE_KEYS = (("dd", "d", STROKE), ("aa", "a", CIRCUMFLEX), ("ee", "e", CIRCUMFLEX),
                ("oo", "o", CIRCUMFLEX), ("aw", "a", BREVE), ("ow", "o", HORN), ("uw", "u", HORN))
_VOWELS = set("aeiouy")


_TELEX_CACHE: dict[str, tuple[str, str] | None] = {}


def untelex(folded: str) -> tuple[str, str] | None:
    """Cached :func:`_untelex`."""
    try:
        return _TELEX_CACHE[folded]
    except KeyError:
        pass
    got = _untelex(folded)
    if len(_TELEX_CACHE) > 50_000:
        _TELEX_CACHE.clear()
    _TELEX_CACHE[folded] = got
    return got


def _untelex(folded: str) -> tuple[str, str] | None:
    """``quaf`` -> (``qua``, grave); ``suaats`` -> (``suat``, circumflex+acute); else None.

    Only undoes what a Telex keyboard leaves behind when the writer types too fast:
    a tone key after the word, doubled vowels or ``dd``, and ``w`` for the horn or breve.
    """
    if len(folded) < 3 or not folded.isascii() or not folded.isalpha():
        return None
    marks = []
    base = folded
    if base[-1] in _TONE_KEYS and any(ch in _VOWELS for ch in base[:-1]):
        marks.append(_TONE_KEYS[base[-1]])
        base = base[:-1]
    for pair, single, mark in _DOUBLE_KEYS:
        at = base.find(pair)
        if at >= 0:
            base = base[:at] + single + base[at + 2:]
            marks.append(mark)
    if "w" in base:
        base = base.replace("w", "", 1)
        marks.append(HORN)
    if base == folded or len(base) < 2:
        return None
    return base, "".join(sorted(marks))


# --------------------------------------------------------------------------- tokens
@dataclass(slots=True)
class Token:
    kind: str          # "w" word, "n" number (digits, maybe with . or , inside), "nl" newline, "p" other
    start: int
    end: int
    text: str          # as written (NFC)
    f: str             # folded (lower case, no diacritics); for "p"/"n" the text itself
    sig: str           # diacritic signature ("" for none)
    gap: bool          # whitespace (or start of text) before this token
    upper: bool        # first letter is upper case
    allcaps: bool      # every letter is upper case (and more than one letter)


# digits with inner . or , groups | a run of letters (and marks) | a newline | any other symbol
_TOKEN_RE = re.compile(r"(\d+(?:[.,]\d+)*)|([^\W\d_]+)|(\n)|([^\s])", re.UNICODE)
_WORD_CACHE: dict[str, tuple[str, str, bool, bool] | None] = {}


def _word_info(word: str) -> tuple[str, str, bool, bool] | None:
    """(folded, signature, upper, allcaps) of a word, or None if it folds to no letters."""
    try:
        return _WORD_CACHE[word]
    except KeyError:
        pass
    f = fold(word)
    if not f.isalpha():
        info = None
    else:
        up = word[0].isupper()
        info = (f, signature(word), up, up and len(word) > 1 and word.isupper())
    if len(_WORD_CACHE) > 50_000:
        _WORD_CACHE.clear()
    _WORD_CACHE[word] = info
    return info


def tokenize(text: str) -> list[Token]:
    """Cut NFC ``text`` into tokens (one linear pass)."""
    tokens: list[Token] = []
    append = tokens.append
    cache = _WORD_CACHE
    last_end = 0
    for m in _TOKEN_RE.finditer(text):
        s, e = m.span()
        raw = m.group()
        gap = s == 0 or s > last_end
        last_end = e
        g = m.lastindex
        if g == 2:
            info = cache.get(raw, False)
            if info is False:
                info = _word_info(raw)
            if info is not None:
                append(Token("w", s, e, raw, info[0], info[1], gap, info[2], info[3]))
                continue
        elif g == 1 and raw.isascii():
            append(Token("n", s, e, raw, raw, "", gap, False, False))
            continue
        elif g == 3:
            append(Token("nl", s, e, raw, raw, "", gap, False, False))
            continue
        # other symbols, stray marks, non-ASCII digits: never figures
        append(Token("p", s, e, raw, raw, "", gap, False, False))
    return tokens
