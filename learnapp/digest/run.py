"""Composing one week's digest for many readers, reading what they share once.

Readers in the same teams may see the same entries, except the ones each of them wrote
that only they may read (``visible_to``: private ones, and ones of a team they are not
in). So a reader's digest is cut from two parts:

- what everyone in the reader's teams may see: read once per set of teams;
- entries read beyond what their teams see (never the organisation's, never deleted):
  read once per run, with every row a list could need, and cut for each reader by
  author and audience.

Only what is addressed to the reader alone (their own open items) is read per reader. A
digest composed in a run says exactly what ``compose_digest`` says for that reader; the
rules of ``Audience`` and ``BEYOND_TEAMS`` restate ``visible_to`` (admins read no more than
anyone), and tests/digest/test_run.py composes every kind of entry both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_

from learnapp.digest.compose import Digest, cut_digest
from learnapp.digest.items import Found, Narrative, Whose
from learnapp.digest.lists import Parts, read_narratives
from learnapp.digest.weeks import IsoWeek
from learnapp.entries.queries import in_teams, visible_to
from learnapp.models import Entry, User, Visibility

# Entries some reader may read beyond what their teams may: only their authors may, and
# never a deleted one or one for the whole organisation (visible_to).
BEYOND_TEAMS = and_(Entry.deleted_at.is_(None), Entry.visibility != Visibility.ORG)


@dataclass(frozen=True)
class Audience:
    """The readers in exactly ``team_ids``: what they all may read, whoever wrote it."""

    team_ids: frozenset[int]

    @classmethod
    def of(cls, reader: User) -> Audience:
        return cls(frozenset(reader.team_ids))

    def reads(self) -> ColumnElement[bool]:
        """SQL: the entries for the organisation or for one of the teams."""
        return or_(Entry.visibility == Visibility.ORG, in_teams(self.team_ids))

    def includes(self, whose: Whose) -> bool:
        """The same rule as ``reads``, for a row read apart (a team entry whose team was
        deleted is for no team: in SQL, its NULL team is in no list)."""
        if whose.visibility is Visibility.ORG:
            return True
        return whose.visibility is Visibility.TEAM and whose.team_id in self.team_ids


class DigestRun:
    """The digests of ``week`` for any number of readers, composed one by one.

    Keep one for one composing pass only: it remembers what it read, so a digest composed
    with it says what the database said when the run first needed it.
    """

    def __init__(self, week: IsoWeek, zone: ZoneInfo) -> None:
        self.week, self.zone = week, zone
        self._shared: dict[Audience, Parts] = {}
        self._apart = Parts(BEYOND_TEAMS, week, zone, apart=True)  # read as it is needed
        self._narratives: list[Narrative] | None = None

    def compose(self, reader: User) -> Digest:
        """``reader``'s digest: the same as ``compose_digest(reader, week, zone)``."""
        audience = Audience.of(reader)
        if audience not in self._shared:
            # What this reader sees that everyone in their teams sees too: the same for
            # every reader of the audience, whoever is asked first.
            scope = and_(visible_to(reader), audience.reads())
            self._shared[audience] = Parts(scope, self.week, self.zone)
        if self._narratives is None:
            self._narratives = read_narratives(self.week.period(self.zone))

        def own(name: str) -> list[Found]:
            rows = self._apart.rows_of(name, reader.id)
            return [f for f in rows if not audience.includes(f.whose)]

        sources = [self._shared[audience].rows, own]
        return cut_digest(reader, self.week, self.zone, sources, self._narratives)
