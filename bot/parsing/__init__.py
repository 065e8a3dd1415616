"""Reading chapter heads' Vietnamese reports (pure, no I/O).

    from bot.parsing import parse_report
    parse_report("qua 20 tri gia 10tr mau 8 hv moi 5").to_json()
"""

from bot.parsing.catalog import Catalog, Indicator, catalog_for, default_catalog
from bot.parsing.grammar import parse_report
from bot.parsing.result import Item, ParseResult

__all__ = ["Catalog", "Indicator", "Item", "ParseResult", "catalog_for", "default_catalog", "parse_report"]
