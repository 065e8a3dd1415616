"""Word lists of the report grammar, and the catalog's aliases compiled for matching.

Everything is written with proper diacritics and compared folded; a word listed in
``STRICT`` has ordinary homographs (``qua``/``quà``, ``mau``/``máu``, ``hộ``/``hồ``), so when it
carries diacritics they must be the listed ones (see :func:`Lexicon.token_matches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from bot.parsing.catalog import Catalog, Indicator
from bot.parsing.text import Token, fold, nfc, signature, tokenize, untelex

# ---------------------------------------------------------------- counted nouns after a number
UNIT_WORDS: dict[str, str] = {
    "suất": "portion", "phần": "portion", "xuất": "portion", "gói": "portion", "túi": "portion",
    "đơn vị": "bloodunit", "đv": "bloodunit", "đvị": "bloodunit",
    "người": "person", "ng": "person", "người dân": "person", "bạn": "person", "cụ": "person",
    "thanh niên": "person", "đoàn viên": "member", "giáo viên": "person", "cán bộ": "person",
    "phụ nữ": "person", "người cao tuổi": "person", "nct": "person", "trẻ em": "student", "em": "student",
    "cháu": "student", "học sinh": "student", "hs": "student", "sinh viên": "student",
    "sv": "student", "em học sinh": "student", "học viên": "trainee",
    "hội viên": "member", "hv": "member",
    "hộ": "household", "hộ gia đình": "household", "gia đình": "household", "hộ nghèo": "household",
    "hộ dân": "household", "hgđ": "household", "gđ": "household", "hộ cận nghèo": "household",
    "căn": "house", "ngôi": "house", "căn nhà": "house", "ngôi nhà": "house", "nhà": "house",
}
# nouns that make the number before them something we do not count
BLOCK_WORDS = (
    "tháng", "năm", "ngày", "tuần", "giờ", "h", "g", "phút", "giây", "buổi", "đợt", "lần", "lượt",
    "lớp", "khóa", "khoá", "khối", "tiết", "ca", "km", "m", "kg", "tấn", "tạ", "yến", "lít", "l",
    "bình", "chiếc", "cái", "thùng", "bao", "xe", "con", "cây", "bộ", "quyển", "cuốn", "tập",
    "thôn", "xã", "ấp", "xóm", "tổ", "khu", "điểm", "nơi", "trường", "tuổi", "đội", "nhóm",
    "chi hội", "phòng", "số", "kỳ", "nhiệm kỳ", "ha", "mét", "cuộc", "chương trình", "hoạt động",
    "mô hình", "công trình", "đoàn", "hộp", "kiện", "thùng", "tấm", "lô", "ký", "kí", "bữa",
    "suất ăn", "phần ăn", "ngàn đồng",
)
BLOCK_WORDS = tuple(w for w in BLOCK_WORDS if w != "ngàn đồng")
# words right before a number that make it part of a name, a date or a code
NAME_MARKERS = (
    "thôn", "ấp", "xóm", "tổ", "tổ dân phố", "tdp", "khối phố", "kp", "khối", "khu", "khu phố",
    "khu vực", "lớp", "số", "bão số", "đội", "phường", "quận", "đường", "phòng", "cụm",
    "buôn", "làng", "tuần", "đợt", "lần", "khóa", "khoá", "nhóm", "chi hội",
    "covid", "ngày", "tháng", "năm", "mục", "điều", "khoản", "chương", "lô", "hẻm", "kiệt", "ngõ",
    "ngách", "xã", "huyện", "chi đội", "giai đoạn", "tiểu đội", "nhà số", "số nhà", "lúc",
    "đề án", "dự án", "tỉnh lộ", "quốc lộ", "km", "hội nghị",
)
# markers whose bare spelling is a common report word (quy = quỹ, tang = tặng): accents required
ACCENT_MARKERS = ("thứ", "quý", "tầng", "kỳ", "mã", "trang", "bước", "vòng", "phiên", "hạng", "cấp")
# words between a key and its number: ``máu: 16``, ``hiến máu được 12``, ``quà tổng cộng 20``
GLUE = (
    "được", "dc", "đc", "đươc", "là", "có", "đạt", "gồm", "tổng", "tổng cộng", "tổng số", "số lượng",
    "sl", "thêm", "mới", "hơn", "trên", "gần", "khoảng", "tầm", "chừng", "xấp xỉ", "ước",
    "ước tính", "lên tới", "lên đến", "tới", "đến", "trao", "tặng", "trao tặng", "tiếp nhận",
    "nhận", "thu", "thu được", "đã", "đã trao", "gần như", "chính thức",
)
APPROX = ("hơn", "trên", "gần", "khoảng", "tầm", "chừng", "xấp xỉ", "ước", "ước tính", "độ")
# words between a counted noun and the key that follows it: ``60 người tham gia tập huấn sơ cấp cứu``
FILLER = ("tham", "gia", "được", "dc", "đc", "đã", "đăng", "ký", "kí", "mới", "thêm", "là",
          "nhận", "học", "tập", "huấn", "đi", "tham dự", "dự", "làm", "xây", "sửa", "dựng", "khó", "khăn")
# phrases that introduce a money amount: ``trị giá 5tr``, ``kinh phí 45 triệu``
MONEY_LEADS = ("trị giá", "tri giá", "giá trị", "tổng trị giá", "kinh phí", "tổng kinh phí",
               "số tiền", "tiền", "tổng số tiền", "thành tiền", "giá", "tổng giá trị")
PER_UNIT = ("mỗi",)
# a clause that plans or sets targets reports nothing done: "tháng sau sẽ trao 20 suất quà"
PLAN_WORDS = ("sẽ", "sắp", "dự kiến", "đặt chỉ tiêu", "giao chỉ tiêu", "chỉ tiêu năm", "chỉ tiêu là",
              "chỉ tiêu giao", "kế hoạch", "chuẩn bị", "ngày mai", "tuần sau",
              "tháng sau", "năm sau", "tuần tới", "tháng tới", "năm tới", "dự định", "phấn đấu", "đăng ký chỉ tiêu")
DONE_WORDS = ("đã", "được", "rồi", "xong")
PER_UNIT_VERBS = ("hỗ trợ", "được", "là", "khoảng", "tặng", "trao", "gồm", "có")
HOUSE_VERBS = ("xây", "xây dựng", "xây mới", "sửa", "sửa chữa", "bàn giao", "khởi công", "hoàn thành",
               "hỗ trợ", "cất", "dựng", "làm", "trao", "tặng", "khánh thành", "trao tặng", "xd")
EXISTENTIAL = ("có", "còn", "gồm", "với", "của", "trong", "trên tổng", "tổng số")
# words after a number and its key that make it new: "có thêm 9 tình nguyện viên mới"
NEW_WORDS = ("mới", "thêm", "kết nạp", "phát triển")
# words that make a fund figure a balance, not money raised: "quỹ chi hội còn 3tr"
BALANCE_WORDS = ("còn", "hiện còn", "tồn", "tồn quỹ", "số dư", "dư")
STRICT = {"qua", "mau", "quy", "nha", "ho", "can", "ban", "cu", "phan", "moi", "gia", "to", "so",
          "lan", "con", "cay", "bo", "tap", "ky", "ki", "ba", "nam", "tu", "doi", "xa", "ha", "tam",
          "se"}                     # sẽ (will), not sẻ (chia sẻ: share)
# a bare gift/blood word is an ordinary word in these neighbourhoods (unaccented messages)
NOT_KEY_BEFORE = {"qua": {"hom", "tuan", "thang", "nam", "vua", "thong", "di", "sang", "chieu",
                          "toi", "dem", "trua", "bo", "vuot", "trai", "ghe", "chay", "nhin", "luot"},
                  "mau": {"nhanh", "gui", "lay", "theo", "dung", "lam"}}
NOT_KEY_AFTER = {"qua": {"doi", "do", "khoi", "loa", "mang", "zalo", "dien", "cac", "nhung", "email",
                         "day", "nhom", "tin"},
                 "mau": {"len", "chong", "chan", "bao", "don", "bieu", "sac", "so"}}


@dataclass(frozen=True, slots=True)
class Word:
    f: str
    sig: str
    strict: bool


def _words(phrase: str) -> tuple[Word, ...]:
    out = []
    for t in tokenize(nfc(phrase)):
        if t.kind == "w":
            out.append(Word(t.f, t.sig, t.f in STRICT))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Alias:
    words: tuple[Word, ...]
    code: str
    verb: bool


@dataclass(slots=True)
class KeyMatch:
    code: str
    start: int
    end: int
    verb: bool


class PhraseTable:
    """Folded phrases indexed by their first word; matched longest first."""

    def __init__(self, phrases: dict[str, object]):
        self.index: dict[str, list[tuple[tuple[Word, ...], object]]] = {}
        self._telex_starts: dict[str, bool] = {}     # folded word -> its Telex reading starts a phrase
        for phrase, value in phrases.items():
            ws = _words(phrase)
            if ws:
                self.index.setdefault(ws[0].f, []).append((ws, value))
        for lst in self.index.values():
            lst.sort(key=lambda e: -len(e[0]))
        # the words a phrase may end with: ``ends_at`` rejects most positions on the last one
        self._lasts = frozenset(ws[-1].f for lst in self.index.values() for ws, _ in lst)
        self._telex_lasts: dict[str, bool] = {}

    def _may_end_with(self, t: Token) -> bool:
        """Could a phrase end with word token ``t`` (as written, or as a Telex leftover)?"""
        if t.f in self._lasts:
            return True
        if t.sig:
            return False
        got = self._telex_lasts.get(t.f)
        if got is None:
            tel = untelex(t.f)
            got = self._telex_lasts[t.f] = tel is not None and tel[0] in self._lasts
            if len(self._telex_lasts) > 50_000:
                self._telex_lasts.clear()
        return got

    def may_start(self, t: Token) -> bool:
        """Could a phrase of the table start at word token ``t``?"""
        if t.f in self.index:
            return True
        if t.sig == "":
            got = untelex(t.f)
            return got is not None and got[0] in self.index
        return False

    def ends_at(self, tokens: list[Token], j: int) -> int | None:
        """Start of the phrase (tried 3, 2, then 1 words long) that ends right before ``j``."""
        index = self.index
        if j < 1:
            return None
        last = tokens[j - 1]
        if last.kind != "w" or not self._may_end_with(last):
            return None
        for span in (3, 2, 1):
            s = j - span
            if s < 0:
                continue
            t = tokens[s]
            if t.kind != "w" or (t.f not in index and (t.sig or not self._telex_start(t.f))):
                continue
            m = self.match(tokens, s)
            if m is not None and m[1] == j:
                return s
        return None

    def _telex_start(self, f: str) -> bool:
        """Does the Telex reading of unaccented ``f`` start a phrase? (memoised per word)"""
        got = self._telex_starts.get(f)
        if got is None:
            tel = untelex(f)
            got = self._telex_starts[f] = tel is not None and tel[0] in self.index
            if len(self._telex_starts) > 50_000:
                self._telex_starts.clear()
        return got

    def match(self, tokens: list[Token], i: int, lenient: bool = True):
        """(value, end) of the longest phrase at ``tokens[i]`` (diacritics must agree where written)."""
        t = tokens[i]
        if t.kind != "w":
            return None
        cands = self.index.get(t.f)
        if cands is None:
            # most words start no phrase: say so without building anything
            if t.sig or not self._telex_start(t.f):
                return None
            cands = self.index.get(untelex(t.f)[0], ())
        ntok = len(tokens)
        for ws, value in cands:
            end = i + len(ws)
            if end > ntok:
                continue
            for k, w in enumerate(ws):
                tk = tokens[i + k]
                if tk.kind != "w":
                    break
                if tk.f == w.f:             # ``_phrase_word_ok``, its common cases inline
                    if tk.sig and w.strict and tk.sig != w.sig:
                        break
                elif tk.sig or not _phrase_word_ok(tk, w):
                    break                   # another word (only an unaccented one may be Telex)
            else:
                return value, end
        return None


def _phrase_word_ok(tk: Token, w: Word) -> bool:
    if tk.f == w.f:
        return not (tk.sig and w.strict and tk.sig != w.sig)
    if tk.sig == "":
        got = untelex(tk.f)
        if got and got[0] == w.f:
            return not (w.strict and got[1] != w.sig)
    return False


def _sig_ok(tok_sig: str, w: Word, multi: bool, accented: bool) -> bool:
    if not w.strict:
        return True
    if tok_sig == w.sig:
        return True
    if tok_sig == "":
        return multi or not accented
    return False


class Lexicon:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.aliases: dict[str, list[Alias]] = {}
        units = dict(UNIT_WORDS)
        self.direct: dict[str, frozenset[str]] = {}
        self.recipient: dict[str, frozenset[str]] = {}
        unit_kind_by_fold = {fold(k): v for k, v in UNIT_WORDS.items()}
        for ind in catalog:
            direct = set(ind.direct)
            for uw in ind.unit_words:
                kind = unit_kind_by_fold.get(fold(uw))
                if kind:
                    direct.add(kind)
                else:
                    units[uw] = "own:" + ind.code
            self.direct[ind.code] = frozenset(direct)
            self.recipient[ind.code] = ind.recipient
            verbs = {fold(v) for v in ind.verbs}
            for a in ind.aliases:
                ws = _words(a)
                if ws:
                    self.aliases.setdefault(ws[0].f, []).append(Alias(ws, ind.code, fold(a) in verbs))
        for lst in self.aliases.values():
            lst.sort(key=lambda a: -len(a.words))
        self.units = PhraseTable(units)
        self.block = PhraseTable({w: True for w in BLOCK_WORDS})
        self.markers = {tuple(w.f for w in _words(m)): False for m in NAME_MARKERS}
        self.markers.update({tuple(w.f for w in _words(m)): True for m in ACCENT_MARKERS})
        self.marker_sigs = {tuple(w.f for w in _words(m)): tuple(w.sig for w in _words(m))
                            for m in NAME_MARKERS + ACCENT_MARKERS}
        self.marker_lasts = frozenset(k[-1] for k in self.markers if k)
        self.glue = PhraseTable({w: True for w in GLUE})
        self.new_words = PhraseTable({w: True for w in NEW_WORDS})
        self.balance = PhraseTable({w: True for w in BALANCE_WORDS})
        self.approx = PhraseTable({w: True for w in APPROX})
        self.filler = {w.f for f in FILLER for w in _words(f)}
        self.money_leads = PhraseTable({w: True for w in MONEY_LEADS})
        self.house_verbs = PhraseTable({w: True for w in HOUSE_VERBS})
        self.existential = PhraseTable({w: True for w in EXISTENTIAL})
        self.per_unit_sig = signature("mỗi")
        self.plan = PhraseTable({w: True for w in PLAN_WORDS})
        self.done = PhraseTable({w: True for w in DONE_WORDS})
        self.per_unit_verbs = PhraseTable({w: True for w in PER_UNIT_VERBS})
        self.read_flags: dict[str, int] = {}     # grammar's per-word memo (see ``_word_flags``)

    def indicator(self, code: str) -> Indicator:
        return self.catalog.get(code)

    # ------------------------------------------------------------------ keys
    def _forms(self, tok: Token):
        yield tok.f, tok.sig
        if tok.sig == "":
            got = untelex(tok.f)
            if got:
                yield got

    def match_key(self, tokens: list[Token], i: int, accented: bool) -> KeyMatch | None:
        """The longest alias at ``tokens[i]`` (as written, then as a Telex leftover)."""
        t = tokens[i]
        if t.kind != "w":
            return None
        aliases = self.aliases
        f = t.f
        sig = t.sig
        first = aliases.get(f)
        tel = untelex(f) if not sig else None
        second = aliases.get(tel[0]) if tel is not None else None
        if first is None and second is None:
            return None
        groups = []
        if first:
            groups.append((f, sig, first))
        if second:
            groups.append((tel[0], tel[1], second))
        best: Alias | None = None
        best_len = 0
        ntok = len(tokens)
        word_ok = self._word_ok
        for f0, sig0, cands in groups:
            for alias in cands:            # longest first: the first that fits wins its group
                ws = alias.words
                n = len(ws)
                if n <= best_len:
                    break
                if i + n > ntok:
                    continue
                multi = n > 1
                w0 = ws[0]
                if w0.strict and sig0 != w0.sig and (sig0 != "" or not (multi or not accented)):
                    continue
                ok = True
                for k in range(1, n):
                    tk = tokens[i + k]
                    if tk.kind != "w":
                        ok = False
                        break
                    w = ws[k]
                    if tk.f == w.f and (not w.strict or tk.sig == w.sig or tk.sig == ""):
                        continue           # the common case of ``_word_ok``, inline
                    if tk.sig or not word_ok(tk, w, accented):   # accented and another word: no
                        ok = False
                        break
                if not ok:
                    continue
                if not multi and f0 in NOT_KEY_BEFORE and not self._context_ok(tokens, i, f0, accented):
                    continue
                best = alias
                best_len = n
                break
        if best is None:
            return None
        return KeyMatch(best.code, i, i + best_len, best.verb)

    def _word_ok(self, tk: Token, w: Word, accented: bool) -> bool:
        if tk.f == w.f and (not w.strict or tk.sig == w.sig or tk.sig == ""):
            return True
        if not tk.sig:
            got = untelex(tk.f)
            # a Telex leftover may carry only part of the marks (``ung hoj`` for ``ủng hộ``)
            if got is not None and got[0] == w.f and (not w.strict or all(ch in w.sig for ch in got[1])):
                return True
            if not w.strict and len(w.f) >= 4 and abs(len(tk.f) - len(w.f)) <= 1 and tk.f != w.f:
                return OSA.distance(tk.f, w.f, score_cutoff=1) <= 1
        return False

    @staticmethod
    def _context_ok(tokens: list[Token], i: int, f0: str, accented: bool) -> bool:
        before = NOT_KEY_BEFORE.get(f0)
        if before is None:
            return True
        if tokens[i].sig:             # written with its diacritics: trust them
            return True
        if i > 0 and tokens[i - 1].kind == "w" and tokens[i - 1].f in before:
            return False
        if i + 1 < len(tokens) and tokens[i + 1].kind == "w" and tokens[i + 1].f in NOT_KEY_AFTER[f0]:
            return False
        return True

    # ------------------------------------------------------------------ others
    def marker_before(self, tokens: list[Token], i: int, counted=False) -> bool:
        """Is ``tokens[i]`` (a number) right after a name marker (``thôn 2``, ``số 3``)?

        ``counted``: a counted noun follows the number; then a marker that is also an
        ordinary verb (``cấp 10 suất học bổng``, grant) does not make it a name.
        """
        if i < 1:
            return False
        prev = tokens[i - 1]
        if prev.kind != "w" or prev.f not in self.marker_lasts:
            return False
        for n in (3, 2, 1):
            if i - n < 0:
                continue
            seg = tokens[i - n:i]
            if any(t.kind != "w" for t in seg):
                continue
            key = tuple(t.f for t in seg)
            if key in self.markers:
                sigs = self.marker_sigs[key]
                if self.markers[key]:
                    if callable(counted):
                        counted = counted()       # asked only when it matters (see grammar)
                    if not counted and all(t.sig == s for t, s in zip(seg, sigs, strict=False)):
                        return True
                elif all(not t.sig or t.sig == s or t.f not in STRICT for t, s in zip(seg, sigs, strict=False)):
                    return True
        return False


_LEXICONS: dict[int, tuple[Catalog, Lexicon]] = {}


def lexicon_for(catalog: Catalog) -> Lexicon:
    """The compiled lexicon of ``catalog`` (cached by identity, then by value)."""
    hit = _LEXICONS.get(id(catalog))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    lex = _lexicon_by_value(catalog)
    if len(_LEXICONS) > 256:
        _LEXICONS.clear()
    _LEXICONS[id(catalog)] = (catalog, lex)
    return lex


@lru_cache(maxsize=64)
def _lexicon_by_value(catalog: Catalog) -> Lexicon:
    return Lexicon(catalog)
