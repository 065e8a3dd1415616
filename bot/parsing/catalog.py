"""The catalog of report indicators, as data (the indicator spec's default catalog).

An indicator has a code, a Vietnamese name and unit, whether it counts something and
whether it carries a money value, and the phrases people write for it (``aliases``).
Aliases are written with their proper diacritics: the parser matches them folded, but a
word written with other diacritics (``qua đời``, ``quý 3``) does not match.

``unit_kinds`` says which counted nouns after a number give the indicator its quantity
("direct": ``20 suất``) and which only count recipients ("recipient": ``quà cho 12 hộ``,
used when no direct count is stated). ``verbs`` are aliases that name the action rather
than the thing (``kết nạp``, ``trao quà``): a number between such a verb and a noun alias
belongs to the noun.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    has_quantity: bool = True
    has_value: bool = False
    aliases: tuple[str, ...] = ()
    direct: frozenset[str] = frozenset()      # unit kinds that count this indicator
    recipient: frozenset[str] = frozenset()   # unit kinds that count its recipients
    verbs: tuple[str, ...] = ()
    unit_words: tuple[str, ...] = ()          # extra unit words of an organization's indicator

    # the names the issue uses
    @property
    def name_vi(self) -> str:
        return self.name

    @property
    def unit_vi(self) -> str:
        return self.unit


_DEFAULT = (
    Indicator(
        "gifts", "Suất quà", "suất", True, True,
        ("quà", "suất quà", "phần quà", "xuất quà", "tặng quà", "trao quà", "trao tặng quà",
         "phát quà", "gói quà", "túi quà", "quà tặng", "tặng phẩm"),
        frozenset({"portion"}), frozenset({"person", "student", "member", "household"}),
        ("tặng quà", "trao quà", "trao tặng quà", "phát quà"),
    ),
    Indicator(
        "blood_units", "Đơn vị máu", "đơn vị", True, False,
        ("máu", "hiến máu", "đơn vị máu", "đv máu", "hiến máu tình nguyện", "hmtn", "hiến máu nhân đạo"),
        frozenset({"bloodunit"}), frozenset(),
        ("hiến máu", "hiến máu tình nguyện", "hiến máu nhân đạo", "hmtn"),
    ),
    Indicator(
        "new_members", "Hội viên mới", "người", True, False,
        ("hội viên mới", "hv mới", "hvm", "kết nạp", "kết nạp mới", "kết nạp hội viên",
         "phát triển hội viên", "phát triển hội viên mới", "phát triển hv", "hội viên kết nạp mới", "phát triển mới"),
        frozenset({"member", "person"}), frozenset(),
        ("kết nạp", "kết nạp mới", "kết nạp hội viên", "phát triển hội viên", "phát triển hv", "phát triển mới"),
    ),
    Indicator(
        "volunteers", "Tình nguyện viên mới", "người", True, False,
        ("tình nguyện viên", "tình nguyện viên mới", "tnv", "tnv mới"),
        frozenset({"person", "student"}), frozenset(),
    ),
    Indicator(
        "funds_raised", "Tiền vận động", "đồng", False, True,
        ("vận động", "quyên góp", "ủng hộ", "quỹ", "đóng góp", "gây quỹ", "thu quỹ",
         "vận động quỹ", "tiền ủng hộ", "tiền vận động", "tiền quyên góp"),
        frozenset(), frozenset(),
        ("vận động", "quyên góp", "ủng hộ", "đóng góp", "gây quỹ", "thu quỹ"),
    ),
    Indicator(
        "scholarships", "Suất học bổng", "suất", True, True,
        ("học bổng", "suất học bổng", "xuất học bổng", "phần học bổng"),
        frozenset({"portion"}), frozenset({"student", "person"}),
    ),
    Indicator(
        "first_aid_trainees", "Học viên sơ cấp cứu", "người", True, False,
        ("sơ cấp cứu", "scc", "tập huấn sơ cấp cứu", "sơ cứu", "tập huấn scc",
         "sơ cấp cứu ban đầu", "tập huấn sơ cứu", "huấn luyện sơ cấp cứu"),
        frozenset({"person", "trainee", "student", "member"}), frozenset(),
        ("tập huấn sơ cấp cứu", "tập huấn scc", "tập huấn sơ cứu", "huấn luyện sơ cấp cứu"),
    ),
    Indicator(
        "houses", "Nhà nhân đạo", "căn", True, True,
        ("nhà nhân đạo", "nhà đại đoàn kết", "nhà ĐĐK", "nhà tình thương", "nhà tình nghĩa",
         "nhà chữ thập đỏ", "nhà CTĐ", "nhà tình bạn", "nhà đoàn kết", "căn nhà nhân đạo",
         "căn nhà đại đoàn kết", "căn nhà tình thương"),
        frozenset({"house"}), frozenset({"household"}),
    ),
)


@dataclass(frozen=True)
class Catalog:
    indicators: tuple[Indicator, ...]
    _by_code: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self):
        codes = [i.code for i in self.indicators]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator codes must be unique")
        self._by_code.update({i.code: i for i in self.indicators})

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    def get(self, code: str) -> Indicator | None:
        return self._by_code.get(code)

    def __iter__(self):
        return iter(self.indicators)

    def __len__(self):
        return len(self.indicators)

    def __hash__(self):
        return hash(self.indicators)

    def with_extra(self, extra: list[dict]) -> Catalog:
        """A catalog with an organization's own indicators added (or replacing same codes).

        Each dict comes from the org YAML: ``{code, name, unit, aliases: [...], quantity: bool,
        value: bool}``. Raises ValueError on a malformed entry.
        """
        added: dict[str, Indicator] = {}
        for entry in extra or []:
            if not isinstance(entry, dict):
                raise ValueError("each indicator must be a mapping")
            code = str(entry.get("code") or "").strip()
            name = str(entry.get("name") or "").strip()
            if not code or not name:
                raise ValueError("an indicator needs a code and a name")
            aliases = entry.get("aliases") or []
            if isinstance(aliases, str):
                aliases = [aliases]
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise ValueError(f"indicator {code}: aliases must be a list of strings")
            has_q = bool(entry.get("quantity", True))
            has_v = bool(entry.get("value", False))
            if not (has_q or has_v):
                raise ValueError(f"indicator {code}: needs a quantity, a value or both")
            unit = str(entry.get("unit") or "").strip()
            names = tuple(dict.fromkeys([name, *[a.strip() for a in aliases if a.strip()]]))
            added[code] = Indicator(
                code, name, unit, has_q, has_v, names,
                frozenset({"own:" + code}), frozenset(), (), (unit,) if unit else (),
            )
        kept = tuple(i for i in self.indicators if i.code not in added)
        return Catalog(kept + tuple(added.values()))


_DEFAULT_CATALOG = Catalog(_DEFAULT)


def default_catalog() -> Catalog:
    """The eight indicators of the spec."""
    return _DEFAULT_CATALOG


def catalog_for(extra: list[dict] | None) -> Catalog:
    """The default catalog plus an organization's own indicators (its YAML's ``indicators:``)."""
    return default_catalog().with_extra(extra) if extra else _DEFAULT_CATALOG
