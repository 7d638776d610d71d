"""What a digest lists, and the rows its lists are cut from (``learnapp.digest.lists``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, NamedTuple, TypeVar

from learnapp.models import Visibility

T = TypeVar("T")


@dataclass(frozen=True)
class Done:
    id: int
    title: str
    owner: str
    lead_time: timedelta | None
    cheers: int


@dataclass(frozen=True)
class NewEntry:
    id: int
    title: str
    author: str  # "a teammate" for an anonymous entry of someone else
    team: str
    learned: str


@dataclass(frozen=True)
class Narrative:
    entry_id: int
    title: str
    severity: str


@dataclass(frozen=True)
class OpenItem:
    id: int
    title: str
    owner: str
    priority: str
    status: str
    age: timedelta


@dataclass(frozen=True)
class Resurfaced:
    when: str
    entry_id: int
    title: str
    learned: str


# Tuples, not dataclasses: a run makes tens of thousands, and these are made faster.
class Whose(NamedTuple):
    """Who may read an entry, as its row says: its author, visibility and team."""

    author_id: int
    visibility: Visibility
    team_id: int | None


class Found(NamedTuple, Generic[T]):
    """An item a list may show: its place in the list (the smallest first), and whose
    entry it is about (None for figures over many people's entries)."""

    place: tuple
    whose: Whose | None
    item: T


@dataclass(frozen=True)
class Listed:
    """A new entry as its author reads it, and as anyone else does (anonymous ones differ)."""

    author_id: int
    to_author: NewEntry
    to_others: NewEntry

    def to(self, reader_id: int) -> NewEntry:
        return self.to_author if reader_id == self.author_id else self.to_others


@dataclass(frozen=True)
class Counts:
    """A piece of a period's figures: entries, converted and repaired ones, lead times."""

    entries: int
    converted: int
    repaired: int
    lead_times: list[timedelta]
