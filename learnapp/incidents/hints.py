"""Blameless wording hints: phrases that assign blame, pointed out with a suggestion.

The phrases live in ``blame_phrases.txt`` beside this module (data, not code). A hint never
stops a save: it is shown next to the text that was saved or previewed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

PHRASES_FILE = Path(__file__).with_name("blame_phrases.txt")


@dataclass(frozen=True)
class Hint:
    """A blaming phrase found in a text, as written there, and what to say instead."""

    found: str
    suggestion: str


@functools.cache
def phrase_patterns(path: Path = PHRASES_FILE) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each phrase of the list as a whole-word, case-insensitive pattern, with its suggestion."""
    patterns = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        phrase, _, suggestion = (part.strip() for part in line.partition("|"))
        stem = phrase.rstrip("*")
        words = r"\s+".join(re.escape(word) for word in stem.split())
        ending = r"\w*" if phrase.endswith("*") else ""
        # Apostrophes: typed straight or curly.
        words = words.replace("'", "['\u2019]")
        patterns.append((re.compile(rf"\b{words}{ending}\b", re.IGNORECASE), suggestion))
    return tuple(patterns)


def blame_hints(*texts: str) -> list[Hint]:
    """The blaming phrases in ``texts``, each once, in the order of the list."""
    hints: list[Hint] = []
    seen: set[str] = set()
    joined = "\n".join(t for t in texts if t)
    for pattern, suggestion in phrase_patterns():
        match = pattern.search(joined)
        if match and match.group(0).lower() not in seen:
            seen.add(match.group(0).lower())
            hints.append(Hint(match.group(0), suggestion))
    return hints
