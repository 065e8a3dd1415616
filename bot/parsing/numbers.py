"""Numbers and money as Vietnamese chapter heads write them (pure, no I/O).

Rules (the indicator spec's number and money rules):
* a ``.`` or ``,`` followed by exactly three digits groups thousands (``12.500.000``,
  ``1.200``); otherwise it is a decimal point (``2,5``, ``6,76``);
* ``k``/``nghìn``/``ngàn`` x10^3, ``tr``/``triệu``/``củ`` x10^6, ``tỷ``/``tỉ`` x10^9;
* digits right after a unit are decimals of that unit: ``10tr5`` = 10.5 triệu,
  ``1 tỷ 2`` = 1.2 tỷ, ``2tr250`` = 2.25 triệu; ``rưỡi`` adds half a unit;
  a smaller unit after a larger one adds up: ``1 tỷ 200 triệu``, ``3 triệu 500 nghìn đồng``;
* number words: :mod:`bot.parsing.numwords` (``hai mươi mốt``, ``ba tư``, ``hai ngàn mốt``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from bot.parsing import numwords
from bot.parsing.text import Token, nfc, signature, tokenize, untelex

K, TR, TY = 1_000, 1_000_000, 1_000_000_000

# folded word -> multiplier; the canonical spellings decide which diacritics are allowed
MONEY_UNITS: dict[str, int] = {
    "k": K, "nghin": K, "ngan": K, "tr": TR, "trieu": TR, "cu": TR, "ty": TY, "ti": TY,
}
CURRENCY = {"d", "dong", "vnd", "vnđ"}
_UNIT_SPELLING = {"cu": ("củ",), "ngan": ("ngàn", "ngàn"), "dong": ("đồng",),
                  "ty": ("tỷ", "tỉ"), "ti": ("tỉ", "tỷ")}

NUMBER_WORDS = numwords.WORDS
NUMBER_STARTERS = numwords.STARTERS        # folded words a number may start with
_WORD_SIGS: dict[str, frozenset[str]] = {
    w: frozenset(signature(s) for s in spell) for w, spell in numwords.SPELLINGS.items()
}
_UNIT_SIGS = {w: frozenset(signature(s) for s in spell) for w, spell in _UNIT_SPELLING.items()}
_UNIT_TELEX_SIGS = {w: frozenset(signature(s) for s in spell) for w, spell in
                    [("trieu", ("triệu",)), ("nghin", ("nghìn",)), ("ngan", ("ngàn",)), ("ty", ("tỷ", "tỉ")),
                     ("ti", ("tỉ", "tỷ"))]}
_MULTIPLIERS = ((TY, ("ty", "ti")), (TR, ("trieu",)), (K, ("nghin", "ngan")))


def word_ok(tok: Token, accented: bool, table: dict[str, frozenset[str]] = _WORD_SIGS) -> bool:
    """Does ``tok`` spell a number word (diacritics, when present, must agree)?"""
    sigs = table.get(tok.f)
    if sigs is None:
        return False
    if tok.sig in sigs:
        return True
    return tok.sig == "" and not accented


def unit_fold(tok: Token) -> str | None:
    """The folded money unit ``tok`` spells (``tr``, ``trieu``, Telex ``trieeuj`` …), or None."""
    f = tok.f
    if f in MONEY_UNITS:
        return f
    if tok.sig == "" and len(f) > 3:
        got = untelex(f)
        if got is not None and got[0] in MONEY_UNITS and got[0] not in ("cu", "k") \
                and got[1] in _UNIT_TELEX_SIGS.get(got[0], ("",)):
            return got[0]
    return None


def is_money_unit(tok: Token, accented: bool = False) -> bool:
    if tok.kind != "w":
        return False
    f = unit_fold(tok)
    if f is None:
        return False
    if f != "cu":
        return True                     # tr, triêu (typo), k, nghìn ... after a number
    return tok.sig in _UNIT_SIGS["cu"] or (tok.sig == "" and not accented)


def is_currency(tok: Token) -> bool:
    return tok.kind == "w" and tok.f in CURRENCY


# --------------------------------------------------------------------------- literals
def parse_literal(raw: str) -> int | Fraction | None:
    """``12.500.000`` -> 12500000, ``2,5`` -> 5/2, ``1.234,5`` -> 2469/2; None if unreadable."""
    if len(raw) > 24:                      # no report figure is that long (and int() has limits)
        return None
    if raw.isdigit():
        return int(raw)
    seps = [ch for ch in raw if ch in ".,"]
    parts = raw.replace(",", ".").split(".")
    if not all(p.isdigit() for p in parts):
        return None
    if all(len(p) == 3 for p in parts[1:]) and len(set(seps)) == 1:
        return int("".join(parts))
    if len(parts) == 2:
        return Fraction(int(parts[0] + parts[1]), 10 ** len(parts[1]))
    # 1.234.567,5: groups then one decimal mark of the other kind
    if (len(set(seps[:-1])) == 1 and seps[-1] != seps[0]
            and all(len(p) == 3 for p in parts[1:-1])):
        return Fraction(int("".join(parts[:-1]) + parts[-1]), 10 ** len(parts[-1]))
    return None


# --------------------------------------------------------------------------- number words
eval_words = numwords.value_of


def _is_starter(tok: Token, accented: bool) -> bool:
    return tok.kind == "w" and tok.f in NUMBER_STARTERS and word_ok(tok, accented)


def read_words(tokens: list[Token], i: int, accented: bool) -> tuple[Fraction, int] | None:
    """Longest run of number words from ``tokens[i]`` that has a value."""
    if i >= len(tokens) or not _is_starter(tokens[i], accented):
        return None
    j = i + 1
    stop = min(len(tokens), i + 40)      # at most 40 words: keeps a long run of number words linear
    sigs_of = _WORD_SIGS.get
    while j < stop:
        tk = tokens[j]
        if tk.kind != "w":
            break
        sigs = sigs_of(tk.f)             # ``word_ok``, inline: this loop runs for every word of the run
        if sigs is None or not (tk.sig in sigs or tk.sig == "" and not accented):
            break
        j += 1
    fs = [t.f for t in tokens[i:j]]      # folded once; shorter tries are prefixes of it
    for _ in range(8):
        if j <= i:
            break
        v = numwords.value_of(fs[:j - i])
        if v is not None:
            return v, j
        j -= 1
    return None


# --------------------------------------------------------------------------- amounts
@dataclass(slots=True)
class Amount:
    value: Fraction
    end: int            # index after the last token used
    money: bool         # a money unit or currency was written (or words reached nghìn+ )
    words: bool         # written in words
    mult: int           # the largest money unit written (1 if none)
    units: tuple        # folded unit words used, in order (``("tr",)``, ``("trieu", "dong")``)


_LITERALS: dict[str, int | Fraction | None] = {}    # parse_literal per token text (pure)
_NO = object()


def _plain_digits(tok: Token) -> bool:
    return tok.kind == "n" and tok.text.isdigit()


def _literal(text: str) -> int | Fraction | None:
    """:func:`parse_literal`, memoised per token text."""
    v = _LITERALS.get(text, _NO)
    if v is _NO:
        v = parse_literal(text)
        if len(_LITERALS) > 50_000:
            _LITERALS.clear()
        _LITERALS[text] = v
    return v


def _no_unit_follows(nxt: Token | None, accented: bool) -> bool:
    """Most figures are digits followed by no number word, unit or currency: say so at once."""
    return nxt is None or nxt.kind != "w" or (
        nxt.f not in ("tram", "chuc") and nxt.f not in CURRENCY and not is_money_unit(nxt, accented))


def _word_multiplier(folded: list[str]) -> int | None:
    """The largest of nghìn/triệu/tỷ among number words (``hai triệu rưỡi``), or None."""
    for mult, names in _MULTIPLIERS:
        if any(w in names for w in folded):
            return mult
    return None


def read_amount(tokens: list[Token], i: int, accented: bool,
                stops_fraction: Callable[[list[Token], int], bool] | None = None) -> Amount | None:
    """Read a number, with its money units, starting at ``tokens[i]``.

    ``stops_fraction(tokens, j)`` says whether the token at ``j`` makes a preceding
    digit a count rather than decimals of a unit (``5tr 3 suất`` vs ``10tr5``).
    """
    tok = tokens[i]
    if tok.kind == "n":
        v = _literal(tok.text)
        if v is None:
            return None
        j = i + 1
        nxt = tokens[j] if j < len(tokens) else None
        if _no_unit_follows(nxt, accented):
            return Amount(v, j, False, False, 1, ())
        if nxt.f in ("tram", "chuc") and word_ok(nxt, accented):
            v *= 100 if nxt.f == "tram" else 10       # 5 trăm, 3 chục
            j += 1
        words, unit, used = False, None, []
    else:
        got = read_words(tokens, i, accented)
        if got is None:
            return None
        v, j = got
        folded = [t.f for t in tokens[i:j]]
        words, unit, used = True, _word_multiplier(folded), [f for f in folded if f in MONEY_UNITS]
    units = _Units(v, unit, j, used)
    units.read(tokens, accented, stops_fraction)
    j, money = units.j, units.unit is not None
    if j < len(tokens) and is_currency(tokens[j]):
        money = True
        used.append(tokens[j].f)
        j += 1
    return Amount(units.total, j, money, words, units.unit or 1, tuple(used))


class _Units:
    """The money units after a number: ``10tr5``, ``1 tỷ 200 triệu``, ``3 triệu 500 nghìn``, ``2 triệu rưỡi``."""

    __slots__ = ("total", "cur", "unit", "j", "used", "done")

    def __init__(self, value, unit: int | None, j: int, used: list[str]):
        self.unit = unit                 # the last (smallest) unit read, None before the first
        self.total = value if unit is not None else 0
        self.cur = None if unit is not None else value   # a figure waiting for its unit
        self.j = j
        self.used = used
        self.done = False                # rưỡi ends an amount

    def read(self, tokens: list[Token], accented: bool, stops_fraction) -> None:
        while True:
            if self.cur is not None and not self._take_unit(tokens, accented) or self.done:
                break
            if not self._after_unit(tokens, accented, stops_fraction):
                break
        if self.cur is not None:
            self.total = self.cur

    def _take_unit(self, tokens: list[Token], accented: bool) -> bool:
        """The unit after the waiting figure (``10`` + ``tr``); False if there is none."""
        j = self.j
        if j >= len(tokens) or not is_money_unit(tokens[j], accented):
            return False
        name = unit_fold(tokens[j])
        mult = MONEY_UNITS[name]
        if self.unit is not None and mult >= self.unit:
            return False
        self.total += self.cur * mult
        self.unit, self.cur, self.j = mult, None, j + 1
        self.used.append(name)
        nxt = tokens[self.j] if self.j < len(tokens) else None
        if nxt is not None and nxt.kind == "w" and nxt.f == "ruoi" and word_ok(nxt, accented):
            self.total += Fraction(mult, 2)      # 2 triệu rưỡi
            self.j += 1
            self.done = True
        return True

    def _after_unit(self, tokens: list[Token], accented: bool, stops_fraction) -> bool:
        """Digits after a unit: a smaller group (``1 tỷ 200 triệu``), units before đồng
        (``3 triệu 500 đồng``) or decimals (``10tr5``). True to go on reading units."""
        j, unit = self.j, self.unit
        if unit is None or j >= len(tokens) or not _plain_digits(tokens[j]):
            return False
        d = tokens[j].text
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        if nxt is not None and is_money_unit(nxt, accented):
            if MONEY_UNITS[unit_fold(nxt)] >= unit:
                return False             # "5tr 5tr": a second amount, not decimals of the first
            self.cur, self.j = int(d), j + 1
            return True
        if nxt is not None and is_currency(nxt) and int(d) < unit:
            self.total += int(d)
            self.j = j + 1
            return False                 # the currency word is read by the caller
        if stops_fraction is not None and stops_fraction(tokens, j + 1) \
                or nxt is not None and nxt.kind == "p" and nxt.text in "%/" and not nxt.gap \
                or len(d) > len(str(unit)) - 1:
            return False
        self.total += Fraction(int(d) * unit, 10 ** len(d))
        self.j = j + 1
        return False


def parse_money(text: str) -> int | None:
    """``"12.500.000 đ"`` -> 12500000, ``"2,5tr"`` -> 2500000, ``"hai triệu rưỡi"`` -> 2500000.

    Returns None when ``text`` is not one amount of money (or not a whole number of đồng).
    """
    tokens = [t for t in tokenize(nfc(text).strip())]
    if not tokens:
        return None
    accented = any(t.sig for t in tokens if t.kind == "w")
    amt = read_amount(tokens, 0, accented)
    if amt is None or amt.end != len(tokens):
        return None
    if amt.value.denominator != 1 or amt.value < 0:
        return None
    return int(amt.value)


# --------------------------------------------------------------------------- writing
_D = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
STYLES = ("plain", "dots", "commas", "d", "dong", "vnd", "k", "short", "spaced",
          "decimal", "compound", "words", "words_folded")


def _group(n: int, sep: str) -> str:
    s = str(n)
    head = len(s) % 3 or 3
    return sep.join([s[:head]] + [s[k:k + 3] for k in range(head, len(s), 3)])


def _read3(x: int, full: bool) -> list[str]:
    h, t, u = x // 100, x // 10 % 10, x % 10
    out: list[str] = []
    if full or h:
        out += [_D[h], "trăm"]
    if t == 0:
        if u:
            out += (["linh"] if out else []) + [_D[u]]
    elif t == 1:
        out += ["mười"] + (["lăm"] if u == 5 else [_D[u]] if u else [])
    else:
        out += [_D[t], "mươi"] + (["mốt"] if u == 1 else ["lăm"] if u == 5 else [_D[u]] if u else [])
    return out


def _read(n: int) -> list[str]:
    if n >= TY:
        head, rest = divmod(n, TY)
        return _read(head) + ["tỷ"] + _read_rest(rest, [(TR, "triệu"), (K, "nghìn"), (1, "")])
    for unit, name in ((TR, "triệu"), (K, "nghìn")):
        if n >= unit:
            head, rest = divmod(n, unit)
            lower = [(u, nm) for u, nm in ((TR, "triệu"), (K, "nghìn"), (1, "")) if u < unit]
            return _read3(head, False) + [name] + _read_rest(rest, lower)
    return _read3(n, False) if n else ["không"]


def _read_rest(rest: int, groups) -> list[str]:
    out: list[str] = []
    for unit, name in groups:
        g = rest // unit % 1000 if unit > 1 else rest % 1000
        if g:
            out += _read3(g, True) + ([name] if name else [])
    return out


def _short(n: int, spaced: bool) -> str:
    for unit, sym, word in ((TY, "tỷ", "tỷ"), (TR, "tr", "triệu"), (K, "k", "nghìn")):
        if n >= unit:
            q, r = divmod(n, unit)
            frac = str(r).rjust(len(str(unit)) - 1, "0").rstrip("0") if r else ""
            if spaced:
                return f"{q} {word}" + (f" {frac}" if frac else "")
            return f"{q}{sym}{frac}"
    return f"{n}đ" if not spaced else f"{n} đồng"


def _decimal(n: int) -> str:
    for unit, word in ((TY, "tỷ"), (TR, "triệu"), (K, "nghìn")):
        if n >= unit:
            q, r = divmod(n, unit)
            frac = str(r).rjust(len(str(unit)) - 1, "0").rstrip("0") if r else ""
            if len(frac) != 3:
                return f"{q},{frac} {word}" if frac else f"{q} {word}"
    return f"{_group(n, '.')} đồng"


def _compound(n: int) -> str:
    parts = []
    ty, rest = divmod(n, TY)
    if ty:
        parts.append(f"{ty} tỷ")
    for unit, word in ((TR, "triệu"), (K, "nghìn")):
        g = rest // unit % 1000
        if g:
            parts.append(f"{g} {word}")
    if rest % 1000 or not parts:
        parts.append(str(rest % 1000))
    return " ".join(parts) + " đồng"


def format_vnd(n: int, style: str = "dots") -> str:
    """Write ``n`` đồng in one of :data:`STYLES`; ``parse_money`` reads every one back."""
    if not isinstance(n, int) or n < 0:
        raise ValueError("format_vnd takes a non-negative int")
    if style == "plain":
        return str(n)
    if style == "dots":
        return _group(n, ".")
    if style == "commas":
        return _group(n, ",")
    if style == "d":
        return _group(n, ".") + "đ"
    if style == "dong":
        return _group(n, ".") + " đồng"
    if style == "vnd":
        return _group(n, ",") + " VND"
    if style == "k":
        return f"{n // K}k" if n and n % K == 0 else _group(n, ".") + "đ"
    if style == "short":
        return _short(n, False)
    if style == "spaced":
        return _short(n, True)
    if style == "decimal":
        return _decimal(n)
    if style == "compound":
        return _compound(n)
    if style in ("words", "words_folded"):
        text = " ".join(_read(n)) + " đồng"
        if style == "words_folded":
            from bot.parsing.text import fold
            text = fold(text)
        return text
    raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")
