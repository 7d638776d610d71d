"""What one reader's digest of one ISO week says (DESIGN.md §5).

``compose_digest`` is a pure function of the database and the week: it reads, never writes,
never looks at the clock, and counts only what the reader may see (``visible_to``). Ages of
open improvements are measured to the end of the week, so a digest composed again later
says the same. Celebration comes first: improvements done that week with their owners and
lead times, and the most cheered; then new lessons and incidents, published narratives, the
oldest open improvements, the reader's own open items, the week's figures beside the
previous week's, and one lesson resurfaced from a year or a quarter ago.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import g

from learnapp.digest.items import Done, Found, Narrative, NewEntry, OpenItem, Resurfaced
from learnapp.digest.lists import (
    CHEERED_SHOWN,
    NEW_SHOWN,
    OLDEST_SHOWN,
    RESURFACE_FROM,
    Parts,
    read_my_open,
    read_narratives,
    resurfaced,
)
from learnapp.digest.weeks import IsoWeek
from learnapp.entries.queries import visible_to
from learnapp.improvements.figures import Figures, Period
from learnapp.models import User

__all__ = ["Digest", "Done", "Narrative", "NewEntry", "OpenItem", "Resurfaced", "compose_digest"]

# A part of what a reader may see: the rows of a list (by name, see ``Parts``) it holds.
Source = Callable[[str], list[Found]]


@dataclass
class Digest:
    """One reader's digest of one week, ready to render (no lazy loads left)."""

    week: IsoWeek
    reader_name: str
    done: list[Done] = field(default_factory=list)
    most_cheered: list[Done] = field(default_factory=list)
    lessons: list[NewEntry] = field(default_factory=list)
    incidents: list[NewEntry] = field(default_factory=list)
    more_entries: bool = False
    narratives: list[Narrative] = field(default_factory=list)
    oldest_open: list[OpenItem] = field(default_factory=list)
    my_open: list[OpenItem] = field(default_factory=list)
    figures: Figures | None = None
    previous: Figures | None = None
    resurfaced: Resurfaced | None = None

    @property
    def is_quiet(self) -> bool:
        """Nothing was logged, done, cheered or published this week (that the reader sees)."""
        return not (
            self.done or self.most_cheered or self.lessons or self.incidents or self.narratives
        )

    @property
    def has_content(self) -> bool:
        """Whether the reader sees anything at all: without it, no email is sent."""
        counted = any(f and (f.entries or f.lead_times) for f in (self.figures, self.previous))
        return not self.is_quiet or bool(
            self.oldest_open or self.my_open or self.resurfaced or counted
        )


def compose_digest(reader: User, week: IsoWeek, zone: ZoneInfo) -> Digest:
    """The digest of ``week`` (in ``zone``, the organisation's timezone) for ``reader``.

    For one reader; ``learnapp.digest.run.DigestRun`` composes the week's digest for many,
    reading what they share once.
    """
    whole = Parts(visible_to(reader), week, zone)
    return cut_digest(reader, week, zone, [whole.rows], _narratives(week.period(zone)))


def _narratives(period: Period) -> list[Narrative]:
    # The same for every reader (see read_narratives): read once per request, or per
    # app context of a loop of compose_digest calls.
    known: dict[Period, list[Narrative]] = g.setdefault("digest_narratives", {})
    if period not in known:
        known[period] = read_narratives(period)
    return known[period]


def cut_digest(
    reader: User,
    week: IsoWeek,
    zone: ZoneInfo,
    sources: Sequence[Source],
    narratives: list[Narrative],
) -> Digest:
    """``reader``'s digest of ``week`` cut from ``sources``: together they must hold every
    entry the reader may see, each once, and no other."""

    def pick(name: str, limit: int | None = None) -> list[Found]:
        found = [f for rows in sources for f in rows(name)]
        return sorted(found, key=lambda f: f.place)[:limit]

    def items(name: str, limit: int | None = None) -> list:
        return [f.item for f in pick(name, limit)]

    def new(name: str) -> list[NewEntry]:
        return [f.item.to(reader.id) for f in pick(name, NEW_SHOWN + 1)]

    def figures(name: str) -> Figures:
        counts = items(name)
        return Figures(
            entries=sum(c.entries for c in counts),
            converted=sum(c.converted for c in counts),
            repaired=sum(c.repaired for c in counts),
            lead_times=sorted(t for c in counts for t in c.lead_times),
            # The digest shows no "open now" figure: it lists the oldest open items itself.
            open_count=0,
            oldest_open=None,
        )

    lessons, incidents = new("lessons"), new("incidents")
    candidates = (pick(resurfaced(i), 1) for i in range(len(RESURFACE_FROM)))
    return Digest(
        week=week,
        reader_name=reader.display_name,
        done=items("done"),
        most_cheered=items("most_cheered", CHEERED_SHOWN),
        lessons=lessons[:NEW_SHOWN],
        incidents=incidents[:NEW_SHOWN],
        more_entries=len(lessons) > NEW_SHOWN or len(incidents) > NEW_SHOWN,
        narratives=narratives,
        oldest_open=items("oldest_open", OLDEST_SHOWN),
        # Addressed to the reader alone: read for each reader.
        my_open=read_my_open(reader, visible_to(reader), week.period(zone).end),
        figures=figures("figures"),
        previous=figures("previous"),
        # From a year ago, else from a quarter ago.
        resurfaced=next((found[0].item for found in candidates if found), None),
    )
