"""The digest's figures as text: the week beside the week before (DESIGN.md §2 figures)."""

from __future__ import annotations

from collections.abc import Callable

from learnapp.digest.compose import Digest
from learnapp.formatting import timespan
from learnapp.improvements.figures import Figures


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


FIGURES: list[tuple[str, Callable[[Figures], str]]] = [
    ("Entries logged", lambda f: str(f.entries)),
    ("Improvements done", lambda f: str(len(f.lead_times))),
    ("Median lead time", lambda f: timespan(f.median_lead_time) or "—"),
    ("Conversion", lambda f: _share(f.conversion)),
    ("Repair rate", lambda f: _share(f.repair_rate)),
]


def figure_rows(digest: Digest) -> list[tuple[str, tuple[str, str]]]:
    """The week's figures beside the week before's: (label, (this week, week before))."""
    return [
        (label, tuple("—" if f is None else shown(f) for f in (digest.figures, digest.previous)))
        for label, shown in FIGURES
    ]
