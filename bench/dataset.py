"""The benchmark organisation as rows: people, teams, entries, improvements, cheers, incidents.

``build(size, seed, anchor)`` is a pure function: the same arguments give the same rows, in
the same order, with the same ids. Ids are assigned here (not by the database), so children
can point at parents without reading anything back. Every unique key, CHECK and foreign key
of the schema holds, and so do the app's own rules: nobody thanks themselves or cheers their
own improvement, an owner can see the entry, only done improvements are cheered, timestamps
follow each other (declared before resolved before published, proposed before done).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench import content
from bench.clock import DAY, HOUR
from bench.incidents import add_incidents
from learnapp.improvements.models import ImprovementType, Status
from learnapp.models import FactorCategory, Kind, Role, Visibility, name_key

Row = dict[str, Any]


@dataclass(frozen=True)
class Size:
    """How big an organisation and how much history."""

    name: str
    teams: int
    people: int
    entries: int
    improvements: int
    cheers: int
    days: int = 730
    incident_share: float = 0.05


LARGE = Size("large", teams=12, people=200, entries=100_000, improvements=30_000, cheers=60_000)
SMALL = Size("small", teams=12, people=200, entries=1_000, improvements=300, cheers=600)


@dataclass
class EntryFacts:
    """What later tables need to know of an entry, without its text."""

    id: int
    created_at: datetime
    author_id: int
    team_id: int | None
    visibility: Visibility
    has_change: bool
    deleted: bool
    change: str


@dataclass
class Dataset:
    """Rows per table (in an order that satisfies every foreign key) and what bench/run needs."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> None:
        self.tables.setdefault(table, []).append(row)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


class Builder:
    """Generates the rows of one dataset; call ``build`` once."""

    def __init__(self, size: Size, seed: int, anchor: datetime, password_hash: str) -> None:
        self.size, self.anchor, self.password_hash = size, anchor, password_hash
        self.rng = random.Random(seed)
        self.data = Dataset()
        self.members: dict[int, list[int]] = {}  # team id -> user ids
        self.teams_of: dict[int, list[int]] = {}  # user id -> team ids
        self.entries: list[EntryFacts] = []
        self.incidents: list[EntryFacts] = []
        self.improved: set[int] = set()

    def build(self) -> Dataset:
        self._organisation()
        self._tags()
        for row, facts in self._entries():
            self.data.add("entries", row)
            self.entries.append(facts)
        done = self._improvements()
        self._no_change()
        self._thanks(self.size.cheers * 2 // 3)
        self._cheers(done, self.size.cheers - self.size.cheers * 2 // 3)
        add_incidents(self)
        return self.data

    # --- people ---------------------------------------------------------------------------

    def _organisation(self) -> None:
        joined = self.anchor - (self.size.days + 30) * DAY
        for team_id, name in enumerate(content.TEAM_NAMES[: self.size.teams], start=1):
            slug = name.lower()
            self.data.add(
                "teams", {"id": team_id, "name": name, "slug": slug, "created_at": joined}
            )
            self.members[team_id] = []
        membership_id = 0
        for user_id in range(1, self.size.people + 1):
            first = content.FIRST_NAMES[(user_id - 1) % len(content.FIRST_NAMES)]
            last = content.LAST_NAMES[(user_id - 1) // len(content.FIRST_NAMES) % 20]
            self.data.add(
                "users",
                {
                    "id": user_id,
                    "email": f"person{user_id:03d}@bench.example",
                    "display_name": f"{first} {last}",
                    "display_name_key": name_key(f"{first} {last}"),
                    "password_hash": self.password_hash,
                    "timezone": content.TIMEZONES[user_id % len(content.TIMEZONES)],
                    "digest_opt_in": user_id % 10 != 0,
                    "is_admin": user_id == 1,
                    "is_active": True,
                    "session_version": 1,
                    "created_at": joined,
                },
            )
            teams = [(user_id - 1) % self.size.teams + 1]
            if self.rng.random() < 0.1:
                teams.append(self.rng.randrange(1, self.size.teams + 1))
            self.teams_of[user_id] = sorted(set(teams))
            for team_id in self.teams_of[user_id]:
                membership_id += 1
                lead = len(self.members[team_id]) < 2
                self.members[team_id].append(user_id)
                self.data.add(
                    "memberships",
                    {
                        "id": membership_id,
                        "user_id": user_id,
                        "team_id": team_id,
                        "role": Role.LEAD if lead else Role.MEMBER,
                    },
                )

    def _tags(self) -> None:
        names = list(content.TOPICS) + [f"svc-{s}" for s in content.SERVICES]
        self.tag_ids = {name: i for i, name in enumerate(names, start=1)}
        for name, tag_id in self.tag_ids.items():
            self.data.add("tags", {"id": tag_id, "name": name})

    # --- entries --------------------------------------------------------------------------

    def _entries(self) -> Iterator[tuple[Row, EntryFacts]]:
        rng, size = self.rng, self.size
        start = self.anchor - size.days * DAY
        seconds = size.days * 86_400
        moments = sorted(rng.uniform(0, seconds) for _ in range(size.entries))
        factor_id = 0
        for entry_id, offset in enumerate(moments, start=1):
            created = start + timedelta(seconds=offset)
            author = rng.randrange(1, size.people + 1)
            team = rng.choice(self.teams_of[author]) if rng.random() < 0.92 else None
            visibility = rng.choices(list(Visibility), weights=(80, 15, 5))[0]
            if visibility is Visibility.TEAM and team is None:
                visibility = Visibility.ORG
            kind = Kind.INCIDENT if rng.random() < size.incident_share else Kind.LESSON
            title, happened, learned, change, topics = content.story(rng)
            deleted = rng.random() < 0.005
            row = {
                "id": entry_id,
                "kind": kind,
                "title": title,
                "what_happened": happened,
                "what_we_learned": learned,
                "what_we_will_change": change,
                "author_id": author,
                "team_id": team,
                "visibility": visibility,
                "anonymous": rng.random() < 0.05,
                "time_lost_minutes": rng.choice((None, None, 15, 45, 120, 240, 480)),
                "idempotency_key": f"bench-entry-{entry_id}",
                "created_at": created,
                "updated_at": created,
                "deleted_at": created + HOUR if deleted else None,
                "no_change_reason": None,
                "no_change_by_id": None,
                "no_change_at": None,
            }
            names = list(topics[: rng.randrange(0, 3)])
            if rng.random() < 0.3:
                names.append("svc-" + title.rsplit(" ", 1)[-1])
            for name in dict.fromkeys(names):
                self.data.add("entry_tags", {"entry_id": entry_id, "tag_id": self.tag_ids[name]})
            factors = rng.randrange(2, 5) if kind is Kind.INCIDENT else int(rng.random() < 0.25)
            for _ in range(factors):
                factor_id += 1
                category = rng.choice(list(FactorCategory))
                self.data.add(
                    "contributing_factors",
                    {
                        "id": factor_id,
                        "entry_id": entry_id,
                        "category": category,
                        "factor": rng.choice(content.FACTORS[category.value]),
                        "note": "",
                    },
                )
            facts = EntryFacts(
                entry_id, created, author, team, visibility, bool(change), deleted, change
            )
            if kind is Kind.INCIDENT:
                self.incidents.append(facts)
            yield row, facts

    def reader(self, entry: EntryFacts, but: int) -> int | None:
        """Someone other than ``but`` who may read ``entry``, or None when nobody can."""
        if entry.visibility is Visibility.PRIVATE:
            return None if but == entry.author_id else entry.author_id
        if entry.visibility is Visibility.TEAM:
            people = [u for u in self.members[entry.team_id] if u != but]
            if entry.author_id != but and entry.author_id not in people:
                people.append(entry.author_id)
            return self.rng.choice(people) if people else None
        while True:
            person = self.rng.randrange(1, self.size.people + 1)
            if person != but:
                return person

    def _no_change(self) -> None:
        """One in five entries without an improvement is marked "no change needed"."""
        rows = self.data.tables["entries"]
        for entry in self.entries:
            if entry.id not in self.improved and self.rng.random() < 0.2:
                row = rows[entry.id - 1]
                row["no_change_reason"] = "A one-off: what caused it is gone."
                row["no_change_by_id"] = entry.author_id
                row["no_change_at"] = min(entry.created_at + 2 * HOUR, self.anchor)

    # --- improvements and cheers ----------------------------------------------------------

    def _improvements(self) -> list[tuple[int, int, datetime, EntryFacts]]:
        """Improvements on entries that say what will change, moved along their flow.

        Returns the done ones as (id, owner, done at, entry) for the cheers.
        """
        rng, anchor = self.rng, self.anchor
        candidates = [e for e in self.entries if e.has_change]
        done: list[tuple[int, int, datetime, EntryFacts]] = []
        change_id = 0
        paths = (
            ((Status.PLANNED, Status.IN_PROGRESS, Status.DONE), 45),
            ((Status.PLANNED, Status.IN_PROGRESS), 17),
            ((Status.PLANNED,), 15),
            ((), 13),
            ((Status.DROPPED,), 5),
            ((Status.PLANNED, Status.DROPPED), 5),
        )
        for improvement_id in range(1, self.size.improvements + 1):
            entry = rng.choice(candidates)
            self.improved.add(entry.id)
            owner = self.reader(entry, but=0) or entry.author_id
            at = min(entry.created_at + rng.uniform(1, 72) * HOUR, anchor)
            created, status = at, Status.PROPOSED
            history = [(None, Status.PROPOSED, at)]
            for step in rng.choices([p for p, _ in paths], weights=[w for _, w in paths])[0]:
                later = at + rng.uniform(4, 24 * 20) * HOUR
                if later >= anchor:
                    break
                history.append((status, step, later))
                status, at = step, later
            for from_status, to_status, changed_at in history:
                change_id += 1
                self.data.add(
                    "status_changes",
                    {
                        "id": change_id,
                        "improvement_id": improvement_id,
                        "from_status": from_status,
                        "to_status": to_status,
                        "changed_by_id": owner,
                        "changed_at": changed_at,
                        "reason": "Superseded." if to_status is Status.DROPPED else "",
                    },
                )
            due = None
            if status.is_open and rng.random() < 0.5:
                due = (created + rng.uniform(7, 60) * DAY).date()
            self.data.add(
                "improvements",
                {
                    "id": improvement_id,
                    "entry_id": entry.id,
                    "title": entry.change[:200],
                    "details": entry.change if rng.random() < 0.3 else "",
                    "type": rng.choice(list(ImprovementType)),
                    "owner_id": owner,
                    "created_by_id": entry.author_id,
                    "priority": rng.choice((1, 2, 2, 3)),
                    "due_date": due,
                    "external_ref": f"OPS-{improvement_id}" if rng.random() < 0.3 else "",
                    "status": status,
                    "drop_reason": "Superseded." if status is Status.DROPPED else "",
                    "idempotency_key": f"bench-improvement-{improvement_id}",
                    "created_at": created,
                    "updated_at": at,
                    "done_at": at if status is Status.DONE else None,
                },
            )
            if status is Status.DONE:
                done.append((improvement_id, owner, at, entry))
        return done

    def _thanks(self, count: int) -> None:
        """``count`` thanks for sharing, each by a reader who is not the author."""
        rng, given = self.rng, set()
        shown = [e for e in self.entries if e.visibility is not Visibility.PRIVATE]
        while len(given) < count:
            entry = rng.choice(shown)
            person = self.reader(entry, but=entry.author_id)
            if person is None or (person, entry.id) in given:
                continue
            given.add((person, entry.id))
            at = min(entry.created_at + rng.uniform(0.5, 24 * 7) * HOUR, self.anchor)
            self._cheer(person, at, entry_id=entry.id)

    def _cheers(self, done: list[tuple[int, int, datetime, EntryFacts]], count: int) -> None:
        """``count`` cheers for done improvements, never by their owner."""
        rng, given = self.rng, set()
        done = [d for d in done if d[3].visibility is not Visibility.PRIVATE]
        while done and len(given) < count:
            improvement_id, owner, done_at, entry = rng.choice(done)
            person = self.reader(entry, but=owner)
            if person is None or (person, improvement_id) in given:
                continue
            given.add((person, improvement_id))
            at = min(done_at + rng.uniform(0.5, 72) * HOUR, self.anchor)
            self._cheer(person, at, improvement_id=improvement_id)

    def _cheer(self, person: int, at: datetime, **target: int) -> None:
        cheers = self.data.tables.setdefault("cheers", [])
        row = {"id": len(cheers) + 1, "user_id": person, "created_at": at}
        cheers.append({"improvement_id": None, "entry_id": None, **row, **target})
