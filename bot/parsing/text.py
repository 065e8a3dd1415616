"""Text normalisation shared by the parser and the command router (pure, no I/O)."""

import unicodedata


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC form, the form Zalo counts and we store."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Fold case and diacritics for matching: ``Hủy`` -> ``huy``, ``Đơn`` -> ``don``.

    Idempotent; never lengthens the string.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).lower()
