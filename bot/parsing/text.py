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


# The same tokens as ``_TOKEN_RE`` (kept as the documented grammar), read with one
# ``findall`` instead of a Python-level ``finditer`` loop: each match also swallows the
# horizontal whitespace before its token, so offsets follow from lengths alone. The
# ``\Z`` branch lets trailing whitespace match too, so no start position ever
# backtracks over a long run of spaces (linear time on any text).
_SCAN_RE = re.compile(r"([^\S\n]*)(?:([^\W\d_]+)|(\d+(?:[.,]\d+)*)|(\n)|(\S)|\Z)", re.UNICODE)


def tokenize(text: str) -> list[Token]:
    """Cut NFC ``text`` into tokens (one linear pass)."""
    return scan(text)[0]


def scan(text: str) -> tuple[list[Token], int, int, int, int]:
    """:func:`tokenize`, also counting what the grammar asks of the words.

    Returns (tokens, words, words with diacritics, words of 2+ letters, all-caps words),
    counted here so the grammar does not walk the tokens again.

    Fast path: the text is cut at newlines and single spaces with ``str.split``; a piece
    of letters only is one word token (letters and one mark, ``quà,``: a word and a
    symbol), a piece of ASCII digits one number token, exactly as ``_SCAN_RE`` would
    read them. Any other piece (punctuation, tabs, mixed) goes
    through :func:`_scan_piece`, the regex. Empty pieces are doubled spaces.
    """
    tokens: list[Token] = []
    append = tokens.append
    get = _WORD_CACHE.get
    counts = [0, 0, 0, 0]
    nwords = marked = nletters = ncaps = 0
    pos = 0
    for n, line in enumerate(text.split("\n")):
        if n:
            gap = pos == 0 or text[pos - 1] != "\n" and text[pos - 1].isspace()
            append(Token("nl", pos, pos + 1, "\n", "\n", "", gap, False, False))
            pos += 1
        gap = pos == 0
        for piece in line.split(" "):
            word = piece if piece.isalpha() else _word_before_mark(piece)
            if word:
                info = get(word, False)
                if info is False:
                    info = _word_info(word)
                e = pos + len(word)
                if info is not None:
                    f, sig, up, caps = info
                    append(Token("w", pos, e, word, f, sig, gap, up, caps))
                    nwords += 1
                    if sig:
                        marked += 1
                    if e - pos > 1:
                        nletters += 1
                        if caps:        # all caps implies 2+ letters
                            ncaps += 1
                else:
                    append(Token("p", pos, e, word, word, "", gap, False, False))
                if e - pos < len(piece):    # "quà,": the mark is a token of its own
                    mark = piece[-1]
                    append(Token("p", e, e + 1, mark, mark, "", False, False, False))
            elif piece.isdigit() and piece.isascii():
                append(Token("n", pos, pos + len(piece), piece, piece, "", gap, False, False))
            elif piece:
                _scan_piece(piece, pos, gap, tokens, counts)
            pos += len(piece) + 1       # the piece and the space after it
            gap = True
        pos -= 1                        # no space after the last piece of a line
    return tokens, nwords + counts[0], marked + counts[1], nletters + counts[2], ncaps + counts[3]


def _word_before_mark(piece: str) -> str:
    """``quà,`` -> ``quà``: the letters of a piece that ends in one symbol, else ""."""
    if len(piece) > 1 and piece[:-1].isalpha():
        last = piece[-1]
        if not last.isalnum() and not last.isspace():
            return piece[:-1]
    return ""


def _scan_piece(piece: str, pos: int, gap: bool, tokens: list[Token], counts: list[int]) -> None:
    """Read ``piece`` (no newline, no space; at offset ``pos``) with ``_SCAN_RE``.

    ``gap``: whitespace (or the start of the text) before the piece. Appends the tokens
    and adds (words, marked, 2+ letters, all caps) to ``counts``.
    """
    append = tokens.append
    get = _WORD_CACHE.get
    for ws, word, num, _nl, other in _SCAN_RE.findall(piece):   # no newline in a piece
        if ws:
            pos += len(ws)
            gap = True
        if word:
            e = pos + len(word)
            info = get(word, False)
            if info is False:
                info = _word_info(word)
            if info is not None:
                f, sig, up, caps = info
                append(Token("w", pos, e, word, f, sig, gap, up, caps))
                counts[0] += 1
                if sig:
                    counts[1] += 1
                if e - pos > 1:
                    counts[2] += 1
                    if caps:            # all caps implies 2+ letters
                        counts[3] += 1
            else:
                append(Token("p", pos, e, word, word, "", gap, False, False))
        elif num:
            e = pos + len(num)
            # non-ASCII digits are never figures
            append(Token("n" if num.isascii() else "p", pos, e, num, num, "", gap, False, False))
        elif other:
            e = pos + len(other)
            append(Token("p", pos, e, other, other, "", gap, False, False))
        else:
            break                       # trailing whitespace (the ``\Z`` branch)
        pos = e
        gap = False
