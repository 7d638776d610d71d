"""Show where the search words are: escaped text with ``<mark>`` around each match."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

SNIPPET = 160
_MARKDOWN_MARKS = re.compile(r"[*_`#>\[\]]+")


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # Words that start with a term, as the index matches prefixes.
    return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\w*", re.I)


def highlight(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, with each word that starts with a term marked."""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def snippet(text: str, terms: list[str], width: int = SNIPPET) -> Markup:
    """About ``width`` characters of plain text around the first match, highlighted."""
    plain = " ".join(_MARKDOWN_MARKS.sub("", text).split())
    pattern = _pattern(terms)
    found = pattern.search(plain) if pattern else None
    start = max((found.start() if found else 0) - width // 3, 0)
    if start:  # begin at a word, not inside one
        start = plain.find(" ", start) + 1 or start
    piece = plain[start : start + width]
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(plain) else ""
    return Markup("").join([escape(prefix), highlight(piece, terms), escape(suffix)])
