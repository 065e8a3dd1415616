"""From a chapter head's message to report items (pure, no I/O).

1. Tokenize the NFC text (:mod:`bot.parsing.text`).
2. Read it left to right into nodes: dates, keys (catalog aliases), counts (a number and
   the noun it counts), money, excluded numbers (names, dates, times, durations,
   percentages, phone numbers), separators (hard: new line ; . + bullets; soft: , ( )).
3. Attach each count, then each money amount, to a key:
   ``key [glue] N`` / ``N [unit] key`` / a sentence ``key … N unit`` whose unit fits the key;
   money goes to the key before it in its comma-chunk, else after it, else to the nearest
   key earlier in the sentence. ``mỗi suất 300k`` and ``1tr/suất`` are per-unit values.
4. Every key that got a figure is an item; figures nobody took are ``unparsed``.
   An item is ``sure`` unless its reading rests on something fragile: a count two
   different keys could take (decided by a guess), ``năm`` next to or inside the number,
   money with no key of its own in its chunk (or from the sentence before), or a figure
   left over in its sentence that its key could have taken.
5. A message with no item that says so (``không có hoạt động``, ``0``) is ``nil``.

Number words are :mod:`bot.parsing.numwords`; amounts of money :mod:`bot.parsing.numbers`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from bot.parsing.catalog import Catalog, default_catalog
from bot.parsing.dates import local_today, match_date
from bot.parsing.lexicon import Lexicon, lexicon_for
from bot.parsing.numbers import (
    NUMBER_STARTERS,
    Amount,
    _is_starter,
    is_currency,
    is_money_unit,
    parse_literal,
    read_amount,
)
from bot.parsing.result import Item, ParseResult
from bot.parsing.text import Token, nfc, scan, untelex

HARD_P = set(";.!?+•|…\u2022\u25cf\u27a2\u2192\u25ba")
SOFT_P = set(",()[]{}\u201c\u201d\"")
DASHES = set("-\u2013\u2014")
_DATE_STARTS = {"sang", "chieu", "toi", "trua", "dem", "hom", "buoi", "ngay"}


_STARTERS = frozenset(NUMBER_STARTERS)
_BIG_WORDS = frozenset({"nghin", "ngan", "trieu", "ty", "ti"})
_MISS = object()
_SCAN = 80          # how many nodes back a figure looks for its key (keeps long messages linear)
_MOI_FOLDS = frozenset({"moi", "mooix", "moix"})       # what ``_is_moi`` may accept


def _telex_in(f: str, table) -> bool:
    got = untelex(f)
    return got is not None and got[0] in table


# What pass 1 may do with a folded word, computed once per word and lexicon: most words
# of a message are none of these and become a plain WORD node after one dict lookup.
_F_DATE, _F_ALIAS, _F_ALIAS_TELEX, _F_STARTER, _F_PLAN = 1, 2, 4, 8, 16


def _word_flags(lex: Lexicon, f: str) -> int:
    memo = lex.read_flags
    got = memo.get(f)
    if got is None:
        got = ((_F_DATE if f in _DATE_STARTS else 0) | (_F_ALIAS if f in lex.aliases else 0)
               | (_F_ALIAS_TELEX if _telex_in(f, lex.aliases) else 0) | (_F_STARTER if f in _STARTERS else 0)
               | (_F_PLAN if f in lex.plan.index or lex.plan._telex_start(f) else 0))
        if len(memo) > 50_000:
            memo.clear()
        memo[f] = got
    return got


class Kind(StrEnum):
    """What a node of the message is."""

    KEY = "key"              # a catalog alias (``hiến máu``, ``qua``)
    COUNT = "count"          # a number and the noun it counts (``20 suất``), or a bare number
    MONEY = "money"          # an amount of money (``10tr``, ``1.200.000 đồng``)
    EXCLUDED = "excluded"    # a number that is no figure: a date, time, name, phone, percentage
    WORD = "word"            # any other word or symbol
    SOFT = "soft"            # a soft separator: , ( )
    HARD = "hard"            # a hard separator: new line ; . + bullets


KEY, COUNT, MONEY, EXCLUDED, WORD, SOFT, HARD = Kind
FIGURES = (COUNT, MONEY)
SEPARATORS = (SOFT, HARD)


DIRECT, RECIPIENT = "direct", "recipient"     # how a count fits a key: ``20 suất quà``, ``quà cho 12 hộ``


class Node:
    """One reading of a token range (plain class: most nodes only set kind/start/end)."""

    code = ""            # KEY: the indicator
    verb = False         # KEY: the alias names the action (``kết nạp``), not the thing
    value = 0            # COUNT, MONEY
    unit = None          # COUNT: unit kind
    unit_f = ""          # COUNT: folded unit words
    per_unit = False     # MONEY (and COUNT: "mỗi hộ 1 phần" counts per recipient)
    per_kind = None      # MONEY: the unit it is per ("portion", "house", ...)
    poisoned = False     # KEY: something said about it we could not read safely
    words = False        # COUNT written in words
    taken = False        # COUNT, MONEY: a key took it
    doubtful = False     # KEY: its reading rests on something fragile (the item is not ``sure``);
                         # MONEY: the amount is written oddly
    # KEY: what it collected
    qty = None
    qty_node = None
    recip = None
    recip_node = None
    total = None
    each = None
    parts: list = ()     # replaced by a list on the first append (see ``add_part``)

    __slots__ = ("kind", "start", "end", "__dict__")

    # positional only: most nodes are plain words, and ``**kw`` made every one pay for it
    def __init__(self, kind: Kind, start: int, end: int):
        self.kind = kind
        self.start = start
        self.end = end

    def add_part(self, node: Node) -> None:
        if not self.parts:
            self.parts = []
        self.parts.append(node)


class KeyNear(NamedTuple):
    """A key found next to a figure: the node, its index in the node list, a ``:`` between."""

    node: Node
    index: int
    colon: bool


class _Reader:
    def __init__(self, text: str, sent_at: datetime | None, catalog: Catalog):
        self.text = text
        self.lex: Lexicon = lexicon_for(catalog)
        self.catalog = catalog
        self.toks, nwords, marked, nletters, ncaps = scan(text)
        self._inds = catalog._by_code
        self.nkeys = 0                    # KEY nodes made (read and ``_implicit``)
        self.figures: list[int] = []      # indices of the COUNT and MONEY nodes ``read`` made
        self.accented = marked >= 2 and marked * 10 >= 3 * nwords
        self.caps = nletters > 0 and ncaps * 2 > nletters
        self._sent_at = sent_at
        self._today: date | None = None      # the day it was sent, in Việt Nam (asked for by dates)
        self.date: date | None = None
        self.nodes: list[Node] = []
        self._key_memo: dict = {}
        self._unit_memo: dict = {}
        self._block_memo: dict = {}
        self._hard_starts: list[int] | None = None
        self._plan_starts: list[int] = []   # plain words that may start a plan phrase
        self._moi_from: int | None = None   # first token that may be ``mỗi`` (see ``_first_moi``)

    @property
    def today(self) -> date:
        if self._today is None:
            self._today = local_today(self._sent_at)
        return self._today

    # ------------------------------------------------------------------ helpers
    # Memos use ``get`` with a sentinel: most positions are asked once, and a raised
    # KeyError per first ask cost more than the lookup it saved.
    def key_at(self, i: int):
        """``lex.match_key`` at token ``i``, computed once per position."""
        got = self._key_memo.get(i, _MISS)
        if got is _MISS:
            t = self.toks[i]
            if t.kind != "w":
                return None
            fl = self.lex.read_flags.get(t.f)
            if fl is None:
                fl = _word_flags(self.lex, t.f)
            if not (fl & _F_ALIAS or not t.sig and fl & _F_ALIAS_TELEX):
                return None                 # no alias starts with this word
            got = self._key_memo[i] = self.lex.match_key(self.toks, i, self.accented)
        return got

    def unit_at(self, i: int):
        got = self._unit_memo.get(i, _MISS)
        if got is _MISS:
            got = self._unit_memo[i] = self.lex.units.match(self.toks, i)
        return got

    def block_at(self, i: int):
        got = self._block_memo.get(i, _MISS)
        if got is _MISS:
            got = self._block_memo[i] = self.lex.block.match(self.toks, i)
        return got

    def _first_moi(self) -> int:
        """Index of the first token that may be ``mỗi`` (``len(toks)`` if none): most messages
        have none, and then no figure can be per unit by a ``mỗi`` before it."""
        got = self._moi_from
        if got is None:
            got = self._moi_from = next((k for k, t in enumerate(self.toks) if t.f in _MOI_FOLDS), len(self.toks))
        return got

    def tok(self, i: int) -> Token | None:
        return self.toks[i] if 0 <= i < len(self.toks) else None

    def is_p(self, i: int, chars: str, glued: bool | None = None) -> bool:
        t = self.tok(i)
        if t is None or t.kind != "p" or t.text not in chars:
            return False
        return glued is None or (not t.gap) == glued

    def stops_fraction(self, toks: list[Token], j: int) -> bool:
        if j >= len(toks):
            return False
        t = toks[j]
        if t.kind == "p" and t.text in "%/":
            return True
        if t.kind != "w":
            return False
        km = self.key_at(j)
        if km is not None and self._ind(km.code) is not None and self._ind(km.code).has_quantity:
            return True
        return bool(self.unit_at(j) or self.block_at(j))

    # ------------------------------------------------------------------ pass 1: nodes
    def read(self) -> None:
        """The tokens as nodes, left to right; a plain word costs one dict lookup."""
        toks, n = self.toks, len(self.toks)
        append = self.nodes.append
        lex = self.lex
        flags_of = lex.read_flags.get
        i = 0
        while i < n:
            t = toks[i]
            kind = t.kind
            if kind == "w":
                fl = flags_of(t.f)
                if fl is None:
                    fl = _word_flags(lex, t.f)
                node = self._read_word(i, t, fl) if fl else Node(WORD, i, i + 1)
            elif kind == "n":
                node = self._read_digits(i, t)
            elif kind == "nl":
                node = Node(HARD, i, i + 1)
            else:
                node = self._read_symbol(i, t)
            append(node)
            i = node.end

    def _read_word(self, i: int, t: Token, fl: int) -> Node:
        """A word that may start a date, a key or a number (``fl``: its ``_word_flags``)."""
        if fl & _F_DATE:
            node = self._date_at(i)
            if node is not None:
                return node
        if fl & _F_ALIAS or not t.sig and fl & _F_ALIAS_TELEX:
            km = self.key_at(i)
            if km is not None:
                node = Node(KEY, i, km.end)
                node.code, node.verb = km.code, km.verb
                self.nkeys += 1
                return node
        if fl & _F_STARTER and _is_starter(t, self.accented):
            node = self._number_at(i)
            if node.kind != WORD:
                return node
        if fl & _F_PLAN:
            self._plan_starts.append(i)     # may start a plan phrase (see ``_mark_plans_and_questions``)
        return Node(WORD, i, i + 1)

    def _read_digits(self, i: int, t: Token) -> Node:
        # a date needs a "." inside or a glued / - . after (see ``match_date``)
        nx = self.toks[i + 1] if i + 1 < len(self.toks) else None
        if "." in t.text or nx is not None and nx.kind == "p" and not nx.gap and nx.text in "/-.":
            node = self._date_at(i)
            if node is not None:
                return node
        return self._number_at(i)

    def _read_symbol(self, i: int, t: Token) -> Node:
        toks, ch = self.toks, t.text
        nx = toks[i + 1] if i + 1 < len(toks) else None
        if ch in DASHES and t.gap and nx is not None and nx.gap and nx.kind == "n" \
                and self.nodes and self.nodes[-1].kind not in SEPARATORS:
            return Node(SOFT, i, i + 1)     # mid-line "quà 20 suất - 6tr": a figure of the same line
        if ch in HARD_P or ch in DASHES and (t.gap or i == 0) and (nx is None or nx.gap or nx.kind != "n"):
            return Node(HARD, i, i + 1)
        if ch in SOFT_P:
            return Node(SOFT, i, i + 1)
        if ch in ":=" and not t.gap and toks[i - 1].kind == "w":
            self._member_label(i)
        return Node(WORD, i, i + 1)

    def _date_at(self, i: int) -> Node | None:
        dm = match_date(self.toks, i, self.today, self.accented)
        if dm is None:
            return None
        if self.date is None and dm.day is not None:
            self.date = dm.day
        return Node(EXCLUDED, i, dm.end)

    def _number_at(self, i: int) -> Node:
        node = self.read_number(i)
        if node is None:
            return Node(WORD, i, i + 1)
        if node.kind in FIGURES:
            self.figures.append(len(self.nodes))     # the index it is appended at
        return node

    def _member_label(self, i: int) -> None:
        """``hv:5``: a members' unit word glued to ``:`` labels new members (as ``hvm:`` does)."""
        last = self.nodes[-1] if self.nodes else None
        if last is None or last.kind != WORD or last.end != i or not self._ind("new_members"):
            return
        u = self.unit_at(last.start)
        if u is not None and u == ("member", i):
            last.kind, last.code = KEY, "new_members"
            self.nkeys += 1

    def _after_glued_word(self, i: int) -> bool:
        """A number glued to the letters before it (``A1``, ``THCS2``), not to a key."""
        prev = self.tok(i - 1)
        if prev is None or prev.kind != "w" or self.toks[i].gap:
            return False
        return not (self.nodes and self.nodes[-1].kind == KEY and self.nodes[-1].end == i)

    def _capitalized_name_before(self, i: int) -> bool:
        if self.caps or not self.nodes:
            return False
        last = self.nodes[-1]
        prev = self.tok(i - 1)
        if last.kind != WORD or last.end != i or prev is None or prev.kind != "w" or not prev.upper:
            return False
        if self.lex.glue.match(self.toks, i - 1) or self.lex.approx.match(self.toks, i - 1):
            return False
        if self.lex.money_leads.match(self.toks, i - 1) or self.unit_at(i - 1):
            return False
        before = self.nodes[-2] if len(self.nodes) > 1 else None
        if before is None or before.kind == HARD:
            return prev.allcaps and len(prev.text) >= 3   # "THCS 2" at the start is still a name
        return True

    def read_number(self, i: int) -> Node | None:
        """The number at token ``i``: a count, money, something excluded, or None (a plain word)."""
        t = self.toks[i]
        if t.kind == "n":
            node = self._digits_not_a_figure(i, t)
            if node is not None:
                return node
        amt = read_amount(self.toks, i, self.accented, self.stops_fraction)
        if amt is None:
            return None
        if t.kind == "n" and not amt.money and self._part_of_a_name(i, amt.end):
            return Node(EXCLUDED, i, i + 1)
        if amt.money and self._counts_thousands(amt):
            amt = Amount(amt.value, amt.end, False, amt.words, 1, ())   # "hai nghìn suất quà": a count
        if amt.value.denominator != 1:
            return Node(EXCLUDED, i, amt.end)
        if amt.money:
            node = self._money_node(i, amt.end, int(amt.value))
            # "163.200.000 ngàn": đồng already grouped, then multiplied again (a slip, or not?)
            node.doubtful = t.kind == "n" and amt.mult > 1 and len(t.text) > 9
            return node
        return self._count_node(i, t, amt)

    def _digits_not_a_figure(self, i: int, t: Token) -> Node | None:
        """Phone numbers, codes (``Covid-19``, ``12/KH``), times, percentages, class names …"""
        toks, n = self.toks, len(self.toks)
        if self._is_phone(t):
            j = i + 1
            while j < n and toks[j].kind == "n" and len(toks[j].text) in (3, 4) and j - i < 4:
                j += 1
            return Node(EXCLUDED, i, j)               # possibly written in groups
        if not t.gap and (self._after_dash_code(i) or self._after_glued_word(i)):
            return Node(EXCLUDED, i, i + 1)           # Covid-19, KH-12, 2023-2024, A1
        nxt = self.tok(i + 1)
        if nxt is None:
            return None
        if nxt.kind == "p" and not nxt.gap and nxt.text in "/-:" and i + 2 < n \
                and not toks[i + 2].gap and toks[i + 2].kind in ("n", "w"):
            return self._slash_pair(i, nxt)
        if nxt.kind == "p" and nxt.text == "%":
            return Node(EXCLUDED, i, i + 2)
        if nxt.f == "phan" and i + 2 < n and toks[i + 2].f == "tram":
            return Node(EXCLUDED, i, i + 3)           # 15 phần trăm
        if nxt.kind == "w" and not nxt.gap:
            return self._glued_letters(i, nxt)
        return None

    @staticmethod
    def _is_phone(t: Token) -> bool:
        raw = t.text
        if raw[0] != "0" and raw[0] != "8":
            return False                # most figures: no phone number starts so
        digits = raw.replace(".", "").replace(",", "") if len(raw) > 3 else raw
        return raw[0] == "0" and len(digits) >= 4 or digits.startswith("84") and len(digits) >= 11

    def _after_dash_code(self, i: int) -> bool:
        prev = self.tok(i - 1)
        return prev is not None and prev.kind == "p" and prev.text == "-" and i > 1 and not prev.gap \
            and self.toks[i - 2].kind in ("w", "n")

    def _slash_pair(self, i: int, sep: Token) -> Node:
        """``40/20tr`` (count/value), ``678/552 đơn vị`` (done/target), else a code: ``12/KH-CTĐ``, ``7:30``."""
        toks, n = self.toks, len(self.toks)
        if sep.text == "/" and toks[i + 2].kind == "n":
            pair = self._count_over_value(i) or self._achieved_over_target(i)
            if pair is not None:
                return pair
        j = i + 3
        while j + 1 < n and self.is_p(j, "/-:", glued=True) and not toks[j + 1].gap:
            j += 2
        return Node(EXCLUDED, i, j)

    def _glued_letters(self, i: int, nxt: Token) -> Node | None:
        """``7h``, ``7h30`` (times), ``9A``, ``10A1`` (names); None for ``10tr``, ``8dv``, ``5hv``."""
        if nxt.f in ("h", "g", "gio") and nxt.text in ("h", "H", "g", "giờ", "gio"):
            j = i + 2
            if j < len(self.toks) and self.toks[j].kind == "n" and not self.toks[j].gap:
                j += 1
            return Node(EXCLUDED, i, j)
        if is_money_unit(nxt, self.accented) or is_currency(nxt) or self.unit_at(i + 1) or self.key_at(i + 1):
            return None
        return Node(EXCLUDED, i, i + 2)

    def _part_of_a_name(self, i: int, end: int) -> bool:
        """``thôn 2``, ``Nhị Dinh 1``: digits after a name marker or a capitalised name."""
        toks = self.toks
        prev = toks[i - 1] if i else None
        # ``marker_before`` needs a word it knows as a marker's last word right before the number;
        # checking that first spares most numbers the ``has_unit`` closure (the same answer)
        if prev is not None and prev.kind == "w" and prev.f in self.lex.marker_lasts:
            has_unit = lambda: end < len(toks) and self.unit_at(end) is not None   # noqa: E731
            if self.lex.marker_before(toks, i, has_unit):
                return True
        return self._capitalized_name_before(i)

    def _counts_thousands(self, amt: Amount) -> bool:
        """``hai nghìn suất quà``, ``48,5 ngàn NCT``: nghìn/triệu/tỷ before a unit or key count."""
        j = amt.end
        return bool(amt.units) and all(u in _BIG_WORDS for u in amt.units) and j < len(self.toks) \
            and bool(self.unit_at(j) or self.key_at(j))

    def _money_node(self, i: int, end: int, value: int) -> Node:
        node = Node(MONEY, i, end)
        node.value = value
        self._per_unit(node)
        return node

    def _count_node(self, i: int, t: Token, amt: Amount) -> Node | None:
        """A number without a money unit: what does it count?"""
        toks, j, value = self.toks, amt.end, int(amt.value)
        if t.kind == "n" and len(t.text) == 4 and t.text.isdigit() and 1900 <= value <= 2100 \
                and not self._counted_noun_or_key_at(j):
            return Node(EXCLUDED, i, j)               # a year
        if j < len(toks) and toks[j].kind == "w" and not self.key_at(j):
            unit = self._unit_after(j)
            if unit is not None:
                return self._counted(i, amt, unit)
            if self.block_at(j):
                return Node(EXCLUDED, i, j)           # 9 tháng, 7 tấn, 2 lớp
        if amt.words and not self._words_count_here(i, t, j):
            return None                               # "ba", "năm" alone are ordinary words
        if self.is_p(j, "%"):
            return Node(EXCLUDED, i, j + 1)
        if value >= 10_000 and self._money_context(i) or value >= 1000 and self._is_times(i - 1):
            return self._money_node(i, j, value)      # a bare number after a money word: đồng
        node = Node(COUNT, i, j)
        node.value, node.words = value, amt.words
        node.per_unit = self._count_per_unit(i)
        return node

    def _counted_noun_or_key_at(self, j: int) -> bool:
        return j < len(self.toks) and bool(self.unit_at(j) or self.key_at(j))

    def _unit_after(self, j: int) -> tuple[str, int] | None:
        """The counted noun at ``j`` (kind, end), unless it labels the next figure (``hv:5``)."""
        u = self.unit_at(j)
        if u is None or self.is_p(u[1], ":=", glued=True):
            return None
        kind, end = u
        if kind == "house" and self.toks[end - 1].f == "nha" and self.key_at(end - 1):
            end -= 1                                  # "2 căn nhà nhân đạo": the key keeps "nhà"
        return kind, end

    def _counted(self, i: int, amt: Amount, unit: tuple[str, int]) -> Node:
        kind, end = unit
        node = Node(COUNT, i, end)
        node.value, node.unit, node.words = int(amt.value), kind, amt.words
        node.unit_f = " ".join(x.f for x in self.toks[amt.end:end])
        node.per_unit = self._count_per_unit(i)
        return node

    def _words_count_here(self, i: int, t: Token, j: int) -> bool:
        """A number in words is a figure before a key (``mười suất quà`` reads the unit first),
        or after ``key:`` at the end of an item; a lone ``năm`` only before a counted noun."""
        if j == i + 1 and t.f == "nam" and not self._counted_noun_at(j):
            return False                              # "đầu năm kết nạp": the year, not five
        if j < len(self.toks) and self.key_at(j):
            return True
        nodes = self.nodes
        return len(nodes) >= 2 and nodes[-2].kind == KEY and nodes[-1].kind == WORD \
            and self.is_p(nodes[-1].start, ":=") and (j >= len(self.toks) or self.toks[j].kind != "w")

    def _count_over_value(self, i: int) -> Node | None:
        """``qua 40/20tr``: after a key that counts, a count then its value (read next)."""
        last = self.nodes[-1] if self.nodes else None
        if last is None or last.kind != KEY or last.end != i or not self._ind(last.code).has_quantity:
            return None
        value = read_amount(self.toks, i + 2, self.accented, self.stops_fraction)
        count = parse_literal(self.toks[i].text)
        if value is None or not value.money or value.mult == 1 or not isinstance(count, int):
            return None
        node = Node(COUNT, i, i + 1)
        node.value = count
        return node

    def _achieved_over_target(self, i: int) -> Node | None:
        """``62.515.000/53.781.000 đồng``, ``678/552 đơn vị``: what was done over the target."""
        toks = self.toks
        done = parse_literal(toks[i].text)
        target = read_amount(toks, i + 2, self.accented, self.stops_fraction)
        if not isinstance(done, int) or target is None or target.words:
            return None
        end = target.end
        if target.money:
            node = Node(MONEY, i, end)
            node.value = done * target.mult
            return node
        unit = self.unit_at(end) if end < len(toks) else None
        if unit is None:
            return None                         # "15/20 chỉ tiêu": a ratio, not a figure
        node = Node(COUNT, i, unit[1])
        node.value, node.unit = done, unit[0]
        node.unit_f = " ".join(x.f for x in toks[end:unit[1]])
        return node

    def _counted_noun_at(self, j: int) -> bool:
        """A unit (``suất``) or a noun key (``hội viên``), not a verb key, starts at token ``j``."""
        if j >= len(self.toks):
            return False
        km = self.key_at(j)
        return not km.verb if km is not None else self.unit_at(j) is not None

    def _skip_back(self, i: int, table) -> int:
        """Index of the first token of a run of ``table`` phrases (and : =) ending before ``i``."""
        j = i
        moved = True
        while moved and j > 0:
            moved = False
            t = self.toks[j - 1]
            if t.kind == "p" and t.text in ":=":
                j -= 1
                moved = True
                continue
            s = table.ends_at(self.toks, j)
            if s is not None:
                j = s
                moved = True
        return j

    def _money_context(self, i: int) -> bool:
        j = self._skip_back(i, self.lex.approx)
        j2 = self._skip_back(j, self.lex.glue)
        for span in (3, 2, 1):
            if j2 - span >= 0:
                m = self.lex.money_leads.match(self.toks, j2 - span)
                if m is not None and m[1] == j2:
                    return True
        # the key right before: only a value key (funds) turns a bare number into money
        for node in reversed(self.nodes):
            if node.kind == KEY:
                ind = self.catalog.get(node.code)
                return node.end == j2 and ind is not None and not ind.has_quantity
            if node.kind != WORD or node.start < j2:
                break
        return False

    def _is_times(self, i: int) -> bool:
        if not 0 <= i < len(self.toks):
            return False
        t = self.toks[i]
        return (t.kind == "p" and t.text in "x×*" or t.kind == "w" and t.f == "x" and t.gap)

    def _per_unit(self, node: Node) -> None:
        toks, n = self.toks, len(self.toks)
        j = node.end
        # 20 suất x 300.000; 100k x 20 người (a total)
        if self._is_times(node.start - 1):
            node.per_unit = True
            return
        if self._is_times(j) and j + 1 < n and toks[j + 1].kind == "n" and toks[j + 1].text.isdigit():
            end = j + 2
            u = self.unit_at(end) if end < n else None
            node.value *= int(toks[j + 1].text)
            node.end = u[1] if u is not None else end
            return
        # 1tr/suất, 500K/SUẤT, 400.000 đồng/suất, 300k một suất, 200k mỗi phần
        if self.is_p(j, "/") and j + 1 < n:
            k = j + 1
            if toks[k].kind == "n" and toks[k].text == "1":
                k += 1
            u = self.unit_at(k) if k < n else None
            if u is not None:
                node.per_unit = True
                node.per_kind = u[0]
                node.end = u[1]
                return
        if j < n and (toks[j].kind == "w" and (self._is_moi(toks[j]) or toks[j].f == "mot")
                      or toks[j].kind == "n" and toks[j].text == "1"):
            u = self.unit_at(j + 1) if j + 1 < n else None
            if u is not None and u[0] in ("portion", "house", "household", "person", "student"):
                node.per_unit = True
                node.per_kind = u[0]
                node.end = u[1]
                return
        # mỗi suất 300k, mỗi phần trị giá 400.000 đồng, mỗi căn (hỗ trợ) 55tr
        if self._first_moi() >= node.start:
            return
        k = self._skip_back(node.start, self.lex.money_leads)
        k = self._skip_back(k, self.lex.approx)
        k = self._skip_back(k, self.lex.per_unit_verbs)
        for span in (3, 2, 1):
            s = k - span
            um = self.unit_at(s) if s - 1 >= 0 else None
            if um is not None and um[1] == k:
                p = toks[s - 1]
                if p.kind == "w" and self._is_moi(p):
                    node.per_unit = True
                    node.per_kind = um[0]
                    return
        if k - 1 >= 0 and toks[k - 1].kind == "w" and self._is_moi(toks[k - 1]) and toks[k - 1].sig:
            node.per_unit = True

    def _count_per_unit(self, i: int) -> bool:
        """``mỗi hộ 1 phần quà``: a count per recipient, not a total."""
        toks = self.toks
        if i < 2:
            return False
        for k in range(max(0, i - 4), i - 1):
            t = toks[k]
            if t.kind == "w" and t.f in _MOI_FOLDS:
                break
        else:
            return False
        for span in (3, 2, 1):
            s = i - span
            um = self.unit_at(s) if s - 1 >= 0 else None
            if um is not None and um[1] == i and toks[s - 1].kind == "w" and self._is_moi(toks[s - 1]):
                return True
        return False

    def _is_moi(self, t: Token) -> bool:
        """mỗi (each), also written moi or Telex mooix; not mới (new)."""
        if t.f == "moi":
            return t.sig in ("", self.lex.per_unit_sig)
        return t.f == "mooix" or t.f == "moix"

    # ------------------------------------------------------------------ pass 2: attach
    def _ind(self, code: str):
        return self._inds.get(code)

    def _fit(self, key: Node, c: Node) -> str | None:
        """How count ``c`` fits ``key``: "direct", "recipient" or None."""
        ind = self._ind(key.code)
        if ind is None or not ind.has_quantity:
            return None
        if c.unit is None or c.unit in self.lex.direct[key.code]:
            return DIRECT
        if c.unit in self.lex.recipient[key.code]:
            return RECIPIENT
        return None

    def _is_glue_node(self, node: Node) -> bool:
        if node.kind != WORD:
            return False
        t = self.toks[node.start]
        if t.kind == "p":
            return t.text in ":="
        if t.kind != "w":
            return False
        m = self.lex.glue.match(self.toks, node.start) or self.lex.approx.match(self.toks, node.start)
        return m is not None

    def _prev_key(self, idx: int) -> KeyNear | None:
        """The key just before node ``idx``, with only glue (``:``, ``được``, ``hơn`` …) between."""
        colon = False
        k = idx - 1
        while k >= 0 and idx - k <= 5:
            nd = self.nodes[k]
            if nd.kind == KEY:
                return KeyNear(nd, k, colon)
            if not self._is_glue_node(nd):
                return None
            if self.toks[nd.start].kind == "p":
                colon = True
            k -= 1
        return None

    def _next_key(self, idx: int, c: Node) -> KeyNear | None:
        """The key right after count ``c`` (node ``idx``), past a few filler words if it has a unit."""
        fillers = 0
        for k in range(idx + 1, len(self.nodes)):
            nd = self.nodes[k]
            if nd.kind == KEY:
                return KeyNear(nd, k, False)
            if not (nd.kind == WORD and c.unit is not None and fillers < 4 and self._is_filler(nd)):
                return None
            fillers += 1
        return None

    def _is_filler(self, node: Node) -> bool:
        t = self.toks[node.start]
        return t.kind == "w" and t.f in self.lex.filler

    def _followed_by_count(self, idx: int) -> bool:
        """Does a figure follow node ``idx`` (a key) with only glue between (``mau 8``)?"""
        nodes = self.nodes
        for k in range(idx + 1, len(nodes)):
            nd = nodes[k]
            if nd.kind in FIGURES:
                return True
            if not self._is_glue_node(nd):
                return False
        return False

    def _preceded_by_count(self, idx: int, c: Node) -> bool:
        """Is there a count other than ``c`` just before node ``idx`` (a key): ``8 đv máu``?"""
        for k in range(idx - 1, -1, -1):
            nd = self.nodes[k]
            if nd.kind == COUNT and nd is not c:
                return True
            if not self._is_glue_node(nd):
                return False
        return False

    def _give_count(self, key: Node, c: Node, how: str) -> bool:
        if how == DIRECT:
            if key.qty is not None:
                return False
            key.qty, key.qty_node = c.value, c
        else:
            if key.recip is not None or key.qty is not None:
                return False
            key.recip, key.recip_node = c.value, c
        c.taken = True
        key.add_part(c)
        return True

    def _house_verb_before(self, idx: int) -> bool:
        for k in range(idx - 1, max(-1, idx - 11), -1):
            nd = self.nodes[k]
            if nd.kind == HARD:
                return False
            if nd.kind == WORD and self.lex.house_verbs.match(self.toks, nd.start):
                return True
        return False

    def attach_counts(self) -> None:
        """Give each count to a key: the one next to it, else the nearest in its sentence."""
        nodes, inserted = self.nodes, 0
        for idx in self.figures:
            idx += inserted
            if nodes[idx].kind is COUNT:
                before = len(nodes)
                self._attach_count(idx, nodes[idx])
                inserted += len(nodes) - before      # ``_implicit`` inserts a key after the count
        if inserted:
            self.figures = [i for i, nd in enumerate(nodes) if nd.kind in FIGURES]

    def _attach_count(self, idx: int, c: Node) -> None:
        choice, guessed = self._choose_key(idx, c)
        if choice is not None and self._stock_count(c, choice[0]) or self._honorary(c):
            return                  # "hiện có 25 tình nguyện viên": how many there are, not new ones
        if c.per_unit:              # "mỗi hộ 1 phần quà": per recipient; the total is unknown
            target = choice[0] if choice is not None else self._nearest_key_before(idx, limit=14)
            if target is not None:
                target.poisoned = True
            return
        if choice is not None and self._give_count(choice[0], c, choice[1]):
            if guessed or self._year_word_next_to(c):
                choice[0].doubtful = True
            return
        if c.unit is not None and not self._existential_before(c):
            self._attach_in_sentence(idx, c)

    def _choose_key(self, idx: int, c: Node) -> tuple[tuple[Node, str] | None, bool]:
        """The key next to count ``c`` that takes it and how ("direct"/"recipient"), and
        whether that was a guess between two keys of different indicators."""
        before, after = self._prev_key(idx), self._next_key(idx, c)
        pfit = self._fit(before.node, c) if before is not None else None
        nfit = self._fit(after.node, c) if after is not None else None
        if c.words and before is not None and not before.colon and after is None:
            pfit = None             # "kết nạp năm …": words after a key need a colon or a unit
        if pfit and nfit:
            return self._between_keys(c, before, after, pfit, nfit)
        if nfit:
            return (after.node, nfit), False
        if pfit:
            return (before.node, pfit), False
        return None, False

    def _between_keys(self, c: Node, before: KeyNear, after: KeyNear, pfit: str, nfit: str):
        """``mau 8 qua 20``, ``8 đv máu``: a count both neighbouring keys could take."""
        pk, nk = before.node, after.node
        if before.colon or self._followed_by_count(after.index):
            return (pk, pfit), False           # "máu: 8 quà 20": the next key has its own figure
        if self._preceded_by_count(before.index, c):
            return (nk, nfit), False           # "8 đv máu 20 suất quà": the previous key has one
        if nfit == DIRECT and pfit != DIRECT:
            return (nk, nfit), False
        if pfit == DIRECT and nfit != DIRECT:
            return (pk, pfit), False
        take_next = c.unit is not None and pk.code != nk.code or pk.verb
        return ((nk, nfit) if take_next else (pk, pfit)), pk.code != nk.code

    def _attach_in_sentence(self, idx: int, c: Node) -> None:
        """A sentence: ``tập huấn sơ cấp cứu cho 25 học viên``; else an implicit key (``12 dv``)."""
        key = self._nearest_key_before(idx, limit=14)
        if key is not None:
            how = self._fit(key, c)
            if how and self._give_count(key, c, how):
                if self._year_word_next_to(c):
                    key.doubtful = True
                return
        if c.unit == "bloodunit" and c.unit_f in ("dv", "dvi") and self.catalog.get("blood_units"):
            self._implicit(c, "blood_units", idx)
        elif c.unit == "house" and c.unit_f.endswith("nha") and self.catalog.get("houses") \
                and self._house_verb_before(idx):
            self._implicit(c, "houses", idx)       # "sửa 1 nhà cho hộ nghèo"

    def _honorary(self, c: Node) -> bool:
        """``kết nạp 6 hội viên danh dự``: honorary members are not new members."""
        toks = self.toks
        for j in range(c.end, min(c.end + 4, len(toks) - 1)):
            if toks[j].f == "danh" and toks[j + 1].f == "du":
                return True
        return False

    def _stock_count(self, c: Node, key: Node) -> bool:
        """``có 25 tình nguyện viên``: a count of people right before their key, after có/gồm…"""
        if key.start != c.end or key.verb or not ({"person", "member"} & self.lex.direct[key.code]):
            return False
        if not self._existential_before(c):
            return False
        toks = self.toks
        for j in range(key.start + 1, min(key.end + 2, len(toks))):
            if toks[j].kind == "w" and self.lex.new_words.match(toks, j):
                return False
        return True

    def _implicit(self, c: Node, code: str, pos: int) -> None:
        """``12 dv``: the count is its own key (inserted right after it)."""
        key = Node(KEY, c.start, c.end)
        self.nkeys += 1
        key.code = code
        key.qty, key.qty_node = c.value, c
        key.add_part(c)
        c.taken = True
        self.nodes.insert(pos + 1, key)

    def _existential_before(self, c: Node) -> bool:
        j = self._skip_back(c.start, self.lex.approx)
        for span in (2, 1):
            if j - span >= 0:
                m = self.lex.existential.match(self.toks, j - span)
                if m is not None and m[1] == j:
                    return True
        return False

    def _nearest_key_before(self, idx: int, limit: int) -> Node | None:
        k = idx - 1
        steps = 0
        while k >= 0 and steps < limit:
            nd = self.nodes[k]
            if nd.kind == HARD:
                return None
            if nd.kind == KEY:
                return nd
            k -= 1
            steps += 1
        return None

    def attach_money(self) -> None:
        """Give each amount to a key: in its chunk (before, then after it), else earlier in its sentence."""
        for idx in self.figures:
            m = self.nodes[idx]
            if m.kind is not MONEY or not m.per_unit and self._inside_each_clause(idx):
                continue          # "mỗi suất gồm 10kg gạo và 100.000 đồng": part of each, not a total
            key, far = self._money_key(idx, m)
            if key is None or self._is_balance(key, m):
                continue          # "quỹ chi hội còn 3tr" is what is left, not money raised
            if m.per_unit and m.per_kind is not None and not self._per_fits(key, m):
                continue
            self._give_money(key, m, far)

    def _money_key(self, idx: int, m: Node) -> tuple[Node | None, bool]:
        """The key that takes amount ``m`` (node ``idx``), and whether it is far (not sure)."""
        k = self._key_before_in_chunk(idx)
        key = self.nodes[k] if k >= 0 and self._takes_value(self.nodes[k]) else None
        if key is not None:
            if not m.per_unit and key.qty is None and key.recip is None and self._ind(key.code).has_quantity:
                funds = self._fund_key_before(k, idx)
                if funds is not None:
                    return funds, True   # "đóng góp xây nhà nhân đạo 20 triệu": money raised, not a price
            return key, False
        if not m.per_unit:
            key = self._key_after_in_chunk(idx)   # "5tr ủng hộ quỹ"
            if key is not None:
                return key, False
        return self._key_earlier_in_sentence(idx, m)

    def _key_before_in_chunk(self, idx: int) -> int:
        """Index of the nearest key before node ``idx`` in its comma-chunk, or -1."""
        nodes = self.nodes
        for k in range(idx - 1, max(-1, idx - _SCAN - 1), -1):
            kind = nodes[k].kind
            if kind == KEY:
                return k
            if kind in SEPARATORS:
                return -1
        return -1

    def _fund_key_before(self, k: int, idx: int) -> Node | None:
        """A money-only key (funds) with no total yet, just before key ``k`` in the same chunk."""
        k2 = self._key_before_in_chunk(k)
        if k2 < 0 or idx - k2 > _SCAN:
            return None
        nd = self.nodes[k2]
        ind = self._ind(nd.code)
        return nd if ind is not None and ind.has_value and not ind.has_quantity and nd.total is None else None

    def _key_after_in_chunk(self, idx: int) -> Node | None:
        """The key after node ``idx`` in its chunk, not past another figure, if it takes money."""
        nodes = self.nodes
        for k in range(idx + 1, len(nodes)):
            nd = nodes[k]
            if nd.kind == KEY:
                return nd if self._takes_value(nd) else None
            if nd.kind in SEPARATORS or nd.kind in FIGURES:
                return None
        return None

    def _key_earlier_in_sentence(self, idx: int, m: Node) -> tuple[Node | None, bool]:
        """The nearest key earlier in the sentence. A per-unit value may look one sentence back,
        as may money received (``… gây quỹ hội. Qua đó đã thu được 2,2 tỷ đồng``) for a fund."""
        received = not m.per_unit and self._money_lead_before(m)
        may_cross = m.per_unit and m.per_kind is not None or received
        nodes, hard = self.nodes, 0
        for k in range(idx - 1, max(-1, idx - _SCAN - 1), -1):
            nd = nodes[k]
            if nd.kind == HARD:
                hard += 1
                if hard > 1 or not may_cross:
                    return None, False
            elif nd.kind == KEY:
                if not self._takes_value(nd) or hard and not self._fits_across_sentences(nd, m):
                    return None, False
                far = hard > 0 or not received and not m.per_unit and self._figure_between(k, idx)
                return nd, far
        return None, False

    def _fits_across_sentences(self, key: Node, m: Node) -> bool:
        return self._per_fits(key, m) if m.per_unit else not self._ind(key.code).has_quantity

    def _give_money(self, key: Node, m: Node, far: bool) -> None:
        if m.per_unit:
            if key.each is not None:
                return
            key.each = m.value
        elif key.total is None:
            key.total = m.value
        else:
            if key.total != m.value:
                key.poisoned = True      # two different totals: we cannot tell which is meant
            return
        m.taken = True
        key.add_part(m)
        key.doubtful |= far or m.doubtful

    def _money_lead_before(self, m: Node) -> bool:
        """``trị giá``, ``tổng``, ``kinh phí``, ``thu được`` … just before money node ``m``."""
        j = self._skip_back(m.start, self.lex.approx)
        if j > 0 and self.toks[j - 1].f == "tong":
            return True
        return self._skip_back(j, self.lex.money_leads) < j or self._skip_back(j, self.lex.glue) < j

    def _figure_between(self, lo: int, hi: int) -> bool:
        return any(nd.kind in FIGURES for nd in self.nodes[lo + 1:hi])

    def _grand_total(self, key: Node) -> bool:
        """Is the money of ``key`` written after its count as a ``tổng …`` (a total of all)?"""
        money = [p for p in key.parts if p.kind == MONEY]
        if len(money) != 1 or key.qty_node is None or money[0].start < key.qty_node.end:
            return False
        s = money[0].start
        return any(t.kind == "w" and t.f == "tong" for t in self.toks[max(0, s - 4):s])

    def _is_balance(self, key: Node, m: Node) -> bool:
        ind = self._ind(key.code)
        if ind is None or ind.has_quantity:
            return False
        toks = self.toks
        if not key.verb and key.start > 0 and toks[key.start - 1].f == "tong":
            return True           # "Tổng quỹ hội … là 286.813.000 đ": a fund's balance
        lo, hi = (key.end, m.start) if key.end <= m.start else (m.end, key.start)
        for j in range(max(0, min(lo, key.start - 2)), hi):
            t = toks[j]
            if t.kind != "w" or self.accented and not t.sig:      # "con" in an accented message is "con"
                continue
            if (key.start > j or j >= key.end) and self.lex.balance.match(toks, j):
                return True
        return False

    def _inside_each_clause(self, idx: int) -> bool:
        """Is money node ``idx`` in a ``mỗi <unit> …`` clause it was not read as the price of?"""
        nodes, toks = self.nodes, self.toks
        if self._first_moi() >= nodes[idx].start:
            return False
        k = idx - 1
        while k >= 0 and idx - k <= _SCAN:
            nd = nodes[k]
            if nd.kind in (HARD, KEY, MONEY):
                return False
            if nd.kind == WORD:
                t = toks[nd.start]
                if t.kind == "w":
                    if t.f in ("tong", "tri", "gia"):
                        return False        # "…, tổng trị giá 5tr" is a total again
                    if self._is_moi(t) and nd.start + 1 < len(toks) and self.unit_at(nd.start + 1):
                        return True
            k -= 1
        return False

    def _per_fits(self, key: Node, m: Node) -> bool:
        kind = m.per_kind
        if kind is None:
            return True
        if self._ind(key.code) is not None and not self._ind(key.code).has_quantity:
            return False
        return kind in self.lex.direct[key.code] or kind in self.lex.recipient[key.code]

    def _takes_value(self, key: Node) -> bool:
        ind = self._ind(key.code)
        return ind is not None and ind.has_value

    # ------------------------------------------------------------------ pass 3: items
    def items(self) -> list[Item]:
        """One item per key that got a figure, repeats in a sentence merged, in text order."""
        self._mark_plans_and_questions()
        keys = []
        for nd in [nd for nd in self.nodes if nd.kind is KEY and nd.parts]:
            if nd.poisoned:
                self._release(nd)
            else:
                keys.append(nd)
        merged = self._merge_repeats(keys)
        unsure = self._unsure_by_leftovers(merged)
        out = [it for key in merged if (it := self._item(key, id(key) not in unsure)) is not None]
        if len(out) > 1:
            out.sort(key=lambda it: it.span[0])
        return out

    def _merge_repeats(self, keys: list[Node]) -> list[Node]:
        merged: list[Node] = []
        for key in keys:
            prev = merged[-1] if merged else None
            if prev is None or prev.code != key.code or self._hard_between(prev, key):
                merged.append(key)
            elif self._said_twice(prev, key):
                self._absorb(prev, key)        # "kết nạp 12 hội viên mới" is one item
            elif self._share_grand_total(prev, key):
                # "20 suất quà cho hộ nghèo và 10 suất cho trẻ em, tổng trị giá 9 triệu": one total for both
                prev.qty += key.qty
                prev.total = key.total
                prev.doubtful = True
                prev.parts += key.parts
                prev.end = max(prev.end, key.end)
            else:
                merged.append(key)
        return merged

    @staticmethod
    def _said_twice(prev: Node, key: Node) -> bool:
        """One key has the count, the other only the money (or neither the same figure)."""
        prev_counts = prev.qty is not None or prev.recip is not None
        key_counts = key.qty is not None or key.recip is not None
        prev_money = prev.total is not None or prev.each is not None
        key_money = key.total is not None or key.each is not None
        return not prev_counts and not key_money or not key_counts and not prev_money

    def _share_grand_total(self, prev: Node, key: Node) -> bool:
        return (prev.qty is not None and key.qty is not None and prev.total is None and prev.each is None
                and key.each is None and key.total is not None and self._grand_total(key))

    @staticmethod
    def _absorb(prev: Node, key: Node) -> None:
        prev.qty = prev.qty if prev.qty is not None else key.qty
        prev.recip = prev.recip if prev.recip is not None else key.recip
        prev.total = prev.total if prev.total is not None else key.total
        prev.each = prev.each if prev.each is not None else key.each
        prev.doubtful |= key.doubtful
        prev.parts += key.parts
        prev.end = max(prev.end, key.end)

    @staticmethod
    def _release(key: Node) -> None:
        """The figures of a key that reports nothing go back to ``unparsed``."""
        for p in key.parts:
            p.taken = False

    def _item(self, key: Node, no_leftover: bool) -> Item | None:
        ind = self._ind(key.code)
        qty = key.qty if key.qty is not None else key.recip
        value = key.total
        if value is None and key.each is not None and qty is not None:
            value = key.each * qty
        qty = qty if ind.has_quantity else None
        value = value if ind.has_value else None
        if qty is None and value is None:
            self._release(key)
            return None
        lo = min([key.start] + [p.start for p in key.parts])
        hi = max([key.end] + [p.end for p in key.parts])
        s, e = self.toks[lo].start, self.toks[hi - 1].end
        sure = no_leftover and not key.doubtful
        return Item(key.code, qty, value, (s, e), self.text[s:e], sure)

    def _mark_plans_and_questions(self) -> None:
        """Keys in a question, or after a plan word (sẽ, dự kiến, chỉ tiêu …) report nothing."""
        nodes = self.nodes
        if not self.nkeys:
            return
        toks = self.toks
        plan, done = self.lex.plan, self.lex.done
        hits = {i: pm for i in self._plan_starts if (pm := plan.match(toks, i)) is not None}
        if not hits and "?" not in self.text:       # every "?" is a token of its own
            return                      # no question, no plan word: nothing to mark
        clause: list[Node] = []
        for nd in nodes + [Node(HARD, len(toks), len(toks))]:
            if nd.kind != HARD:
                clause.append(nd)
                continue
            end_tok = self.tok(nd.start)
            question = end_tok is not None and end_tok.text == "?"
            planned = False
            for c in clause:
                if c.kind == WORD and toks[c.start].kind == "w":
                    pm = hits.get(c.start)
                    if pm is not None:
                        nxt = self.tok(pm[1])
                        doc = toks[c.start].f == "ke" and nxt is not None and (nxt.f == "so" or nxt.kind == "n")
                        if not doc:
                            planned = True
                    elif planned and done.may_start(toks[c.start]) and done.match(toks, c.start):
                        planned = False
                if c.kind == KEY and (planned or question):
                    c.poisoned = True
            clause = []

    def _year_word_next_to(self, c: Node) -> bool:
        """``năm`` right before or after count ``c``, or inside its words: a year could be meant."""
        toks = self.toks
        if c.words and any(t.f == "nam" for t in toks[c.start:c.end]):
            return True
        for j in (c.start - 1, c.end):
            if 0 <= j < len(toks) and toks[j].kind == "w" and toks[j].f == "nam":
                return True
        return False

    def _unsure_by_leftovers(self, keys: list[Node]) -> set[int]:
        """The keys (by id) of a sentence where a figure they could have taken is left over."""
        left = self._left_over()
        if not left:
            return set()
        clause_of = self._clause_of
        by_clause: dict[int, list[Node]] = {}
        for f in left:
            by_clause.setdefault(clause_of(f), []).append(f)
        return {id(key) for key in keys
                if any(self._could_take(key, f) for f in by_clause.get(clause_of(key), ()))}

    def _left_over(self) -> list[Node]:
        """The counts and amounts no key took."""
        nodes = self.nodes
        return [nodes[i] for i in self.figures if nodes[i].kind in FIGURES and not nodes[i].taken]

    def _clause_of(self, node: Node) -> int:
        """How many hard separators come before ``node``."""
        return bisect_left(self._hard_positions(), node.start)

    def _hard_positions(self) -> list[int]:
        hard = self._hard_starts
        if hard is None:
            hard = self._hard_starts = [nd.start for nd in self.nodes if nd.kind == HARD]   # sorted
        return hard

    def _could_take(self, key: Node, figure: Node) -> bool:
        """Could ``key`` have taken this figure nobody took (which makes its reading doubtful)?"""
        if figure.kind == MONEY:
            return self._takes_value(key)
        if self._fit(key, figure) is None or figure.value in (key.qty, key.recip):
            return False          # "150 suất quà … cho 150 hộ": the same figure said twice
        toks = self.toks
        if figure.unit is None and figure.end < len(toks) and toks[figure.end].kind == "w":
            return False          # "150 đôi dép": a count of something outside the catalog
        before = toks[figure.start - 1] if figure.start else None
        if before is not None and before.kind == "w" and before.f == "len":
            return False          # "nâng tổng số hội viên lên 247 người": a stock
        return not self._existential_before(figure)     # "toàn xã có 1.424 hội viên": a stock

    def _hard_between(self, a: Node, b: Node) -> bool:
        lo, hi = min(a.end, b.end), max(a.start, b.start)
        hard = self._hard_positions()
        k = bisect_left(hard, lo)
        return k < len(hard) and hard[k] < hi

    def says_nothing_done(self) -> bool:
        """A nil report: ``không có hoạt động``, ``tuần này không có gì``, ``0`` alone (not a question)."""
        words = [t.f for t in self.toks if t.kind == "w" or t.kind == "n"]
        if _NIL_WORDS.isdisjoint(words) or "?" in self.text:
            return False
        return _NIL_RE.search(" ".join(words)) is not None

    def unparsed(self) -> list[str]:
        out = []
        seen = set()
        has_key = self.nkeys > 0
        for nd in self._left_over():
            if nd.kind is MONEY or has_key or nd.unit:
                s, e = self.toks[nd.start].start, self.toks[nd.end - 1].end
                frag = self.text[s:e].strip()
                if frag and frag not in seen:
                    seen.add(frag)
                    out.append(frag)
        return out


# a nil report, on the folded words of a message: "không có hoạt động", "tuần này không có gì", "0"
_NIL_WORDS = frozenset({"khong", "ko", "k", "kh", "chua", "0"})
_NIL_RE = re.compile(r"^(?:0|khong|ko|k)$"
                     r"|\b(?:khong|ko|k|kh|chua) (?:co )?(?:hoat dong|hd|phat sinh)\b"
                     r"|\b(?:khong|ko|k|kh) co gi\b")


def parse_report(text: str, sent_at: datetime | None = None, catalog: Catalog | None = None) -> ParseResult:
    """Read a chapter head's message into report items (see module doc)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = nfc(text)
    r = _Reader(text, sent_at, catalog or default_catalog())
    r.read()
    if not r.nkeys and not r.figures:
        # chat, not a report ("Ok a, cam on ad nha"): with no key and no count or money
        # the later passes can only find nothing, so skip them
        return ParseResult((), r.date, (), r.says_nothing_done())
    r.attach_counts()
    r.attach_money()
    items = r.items()
    nil = not items and r.says_nothing_done()
    return ParseResult(tuple(items), r.date, tuple(r.unparsed()), nil)
