"""Vietnamese number words, read and written (pure, no I/O).

Reading works on *folded* words (no diacritics, lower case); the caller checks that the
diacritics, when written, agree (:data:`SPELLINGS`). The grammar, for 0 … 10^12 and beyond:

* digits ``không một hai ba bốn năm sáu bảy/bẩy tám chín``; in the units place after
  ``mươi``/``mười`` or a tens digit also ``mốt`` (1), ``tư`` (4), ``lăm`` (5);
* tens: ``mười`` (10), ``mười lăm`` (15), ``hai mươi`` (20), ``hai mươi mốt`` (21),
  ``ba chục`` (30), and the short form ``ba tư`` (34), ``sáu hai`` (62), ``bảy lăm`` (75) —
  but two consecutive plain digits are a range, not a number (``ba bốn người``: 3 or 4);
* hundreds: ``hai trăm``, ``hai trăm linh/lẻ tư`` (204), ``không trăm`` inside a larger
  number, ``ba trăm mốt`` (310: a lone digit after a multiplier is its next place down),
  ``hai trăm rưỡi`` (250);
* ``nghìn``/``ngàn``, ``triệu``, ``tỷ``/``tỉ`` multiply what is before them; after them come a
  smaller group (``một nghìn không trăm linh năm``), a lone digit (``hai ngàn mốt`` 2.100,
  ``ba triệu tư`` 3.400.000) or ``rưỡi`` (``ba ngàn rưỡi`` 3.500).

``năm`` is five only as a leading digit or after ``linh``/``lẻ``: in the units place the
five is ``lăm`` (``hai mươi năm`` is "twenty years", so it reads as 20 followed by a word).

Writing (:func:`to_words`) produces every form above in a northern and a southern dialect,
so that tests can check ``value_of(to_words(n)) == n``.
"""

from __future__ import annotations

from fractions import Fraction

DIGITS: dict[str, int] = {
    "khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}
MULTIPLIERS: dict[str, int] = {"nghin": 1_000, "ngan": 1_000, "trieu": 1_000_000, "ty": 10**9, "ti": 10**9}
_CLASSES = ((10**9, ("ty", "ti")), (1_000_000, ("trieu",)), (1_000, ("nghin", "ngan")))

# the accepted spellings of each folded word (diacritics must agree when written)
SPELLINGS: dict[str, tuple[str, ...]] = {
    "khong": ("không",), "mot": ("một", "mốt"), "hai": ("hai",), "ba": ("ba",), "bon": ("bốn",),
    "tu": ("tư",), "nam": ("năm",), "lam": ("lăm",), "sau": ("sáu",), "bay": ("bảy", "bẩy"),
    "tam": ("tám",), "chin": ("chín",), "muoi": ("mười", "mươi"), "tram": ("trăm",),
    "linh": ("linh",), "le": ("lẻ",), "chuc": ("chục",), "nghin": ("nghìn",), "ngan": ("ngàn",),
    "trieu": ("triệu",), "ty": ("tỷ", "tỉ"), "ti": ("tỉ", "tỷ"), "ruoi": ("rưỡi",),
}
WORDS = frozenset(SPELLINGS)
# a number may start with these (``lăm``, ``tư``, ``lẻ``, ``linh`` and the multipliers never do)
STARTERS = frozenset(DIGITS) - {"lam", "tu"} | {"muoi"}

_LEAD = frozenset(DIGITS) - {"lam", "tu"}            # a digit before mươi / trăm / a multiplier
_UNIT = frozenset(DIGITS) - {"khong", "nam"}          # the units place after mươi / a tens digit
_AFTER_LINH = frozenset(DIGITS) - {"khong", "lam"}    # linh/lẻ + digit
_SHORT_UNITS = frozenset({"mot", "tu", "lam"})       # the units-only spellings of 1, 4, 5


def _is_range(first: str, second: str) -> bool:
    """``hai ba``, ``ba bốn``, ``sáu bảy``: two consecutive plain digits say "2 or 3", not 23."""
    return DIGITS[second] == DIGITS[first] + 1 and second not in _SHORT_UNITS


def _tens(ws: list[str]) -> int | None:
    """0 … 99."""
    n = len(ws)
    if n == 1:
        w = ws[0]
        if w == "muoi":
            return 10
        return DIGITS[w] if w in _LEAD else None
    first = ws[0]
    if first == "muoi":                               # mười một … mười chín, mười lăm
        if n == 2 and ws[1] in _UNIT:
            return 10 + DIGITS[ws[1]]
        return None
    if first not in _LEAD or DIGITS[first] < 2:
        return None
    tens = DIGITS[first] * 10
    if ws[1] in ("muoi", "chuc"):
        if n == 2:
            return tens
        if n == 3 and ws[2] in _UNIT:
            return tens + DIGITS[ws[2]]
        return None
    if n == 2 and ws[1] in _UNIT and not _is_range(first, ws[1]):
        return tens + DIGITS[ws[1]]                   # short form: ba tư, sáu hai, bảy lăm
    return None


def _hundreds(ws: list[str]) -> int | None:
    """0 … 999."""
    if "tram" not in ws:
        return _tens(ws)
    i = ws.index("tram")
    if i != 1 or ws[0] not in _LEAD:
        return None
    h = DIGITS[ws[0]] * 100
    rest = ws[2:]
    if not rest:
        return h
    if rest == ["ruoi"]:
        return h + 50
    if rest[0] in ("linh", "le"):
        if len(rest) == 2 and rest[1] in _AFTER_LINH:
            return h + DIGITS[rest[1]]
        return None
    if len(rest) == 1 and rest[0] != "muoi":           # một trăm hai = 120, ba trăm mốt = 310
        return h + DIGITS[rest[0]] * 10 if rest[0] in _UNIT and rest[0] != "lam" else None
    t = _tens(rest)
    return None if t is None or t < 10 else h + t


def _last_index(ws: list[str], names: tuple[str, ...]) -> int:
    last = len(ws) - 1
    idx = -1
    for name in names:
        if name in ws:
            idx = max(idx, last - ws[::-1].index(name))
    return idx


def value_of(ws: list[str]) -> Fraction | int | None:
    """The value of folded number words, all of them (``["hai", "muoi", "mot"]`` -> 21), or None."""
    if not ws:
        return None
    for mult, names in _CLASSES:
        idx = _last_index(ws, names)           # the last multiplier of the largest class
        if idx < 0:
            continue
        left, right = ws[:idx], ws[idx + 1:]
        lv = value_of(left) if left else None
        if not lv:
            return None
        return _after_multiplier(lv * mult, mult, right)
    if "ruoi" in ws[:-1] or ws == ["ruoi"]:
        return None
    return _hundreds(ws)


def _after_multiplier(head: Fraction | int, mult: int, right: list[str]) -> Fraction | int | None:
    if not right:
        return head
    if right == ["ruoi"]:
        return head + Fraction(mult, 2)
    if len(right) == 1:                      # hai ngàn mốt = 2.100, ba triệu tư = 3.400.000
        w = right[0]
        return head + Fraction(DIGITS[w] * mult, 10) if w in _UNIT and w != "lam" else None
    if right[0] in ("linh", "le"):           # một nghìn linh năm = 1.005
        return head + DIGITS[right[1]] if len(right) == 2 and right[1] in _AFTER_LINH else None
    rv = value_of(right)
    if rv is None or rv >= mult:
        return None
    return head + rv


# --------------------------------------------------------------------------- writing
_NAMES = {
    "north": {0: "không", 1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm", 6: "sáu", 7: "bảy",
              8: "tám", 9: "chín", "linh": "linh", "nghin": "nghìn", "ty": "tỷ"},
    "south": {0: "không", 1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm", 6: "sáu", 7: "bẩy",
              8: "tám", 9: "chín", "linh": "lẻ", "nghin": "ngàn", "ty": "tỉ"},
}
DIALECTS = tuple(_NAMES)


def _units_word(d: int, names: dict) -> str:
    return {1: "mốt", 4: "tư", 5: "lăm"}.get(d) or names[d]


def _two(x: int, names: dict, short: bool) -> list[str]:
    """10 … 99."""
    t, u = divmod(x, 10)
    if t == 1:
        return ["mười"] + (["lăm"] if u == 5 else [names[u]] if u else [])
    if short and u and not (u == t + 1 and u not in (1, 4, 5)):
        return [names[t], _units_word(u, names)]          # ba tư, sáu hai, bảy lăm
    return [names[t], "mươi"] + ([_units_word(u, names)] if u else [])


def _three(x: int, names: dict, inner: bool, short: bool) -> list[str]:
    """0 … 999; ``inner``: a group after a larger one, written with its hundreds."""
    h, rest = divmod(x, 100)
    out = [names[h], "trăm"] if h or inner else []
    if rest == 0:
        return out or [names[0]]
    if rest < 10:
        return out + ([names["linh"]] if out else []) + [names[rest]]
    if short and out and rest % 10 == 0 and rest != 50:
        return out + [_units_word(rest // 10, names)]    # ba trăm mốt = 310, hai trăm tư = 240
    if short and out and rest == 50:
        return out + ["rưỡi"]
    return out + _two(rest, names, short)


def to_words(n: int, dialect: str = "north", short: bool = False) -> str:
    """``n`` in words; ``short`` uses the colloquial forms (``ba tư``, ``hai ngàn mốt``, ``rưỡi``)."""
    if n < 0:
        raise ValueError("to_words takes a non-negative int")
    names = _NAMES[dialect]
    return " ".join(_words(n, names, short, inner=False))


def _words(n: int, names: dict, short: bool, inner: bool) -> list[str]:
    if n >= 10**9:
        head, rest = divmod(n, 10**9)
        return _words(head, names, short, inner) + [names["ty"]] + _rest(rest, 10**9, names, short)
    for mult, name in ((1_000_000, "triệu"), (1_000, names["nghin"])):
        if n >= mult:
            head, rest = divmod(n, mult)
            return _three(head, names, inner, short) + [name] + _rest(rest, mult, names, short)
    return _three(n, names, inner, short)


def _rest(rest: int, mult: int, names: dict, short: bool) -> list[str]:
    """What follows ``<head> <multiplier>``: nothing, a colloquial tail, or the lower groups."""
    if rest == 0:
        return []
    tenth = mult // 10
    if short and rest % tenth == 0 and rest // tenth != 5:
        return [_units_word(rest // tenth, names)]        # hai ngàn mốt, ba triệu tư
    if short and rest * 2 == mult:
        return ["rưỡi"]
    if rest < 10:
        return [names["linh"], names[rest]]               # một nghìn linh năm
    return _words(rest, names, short, inner=True)
