"""The mutation kinds of the load test.

To load another kind (cheers, say), write a class with ``name``, ``plan`` and ``check``
(harness.MutationKind) and add it to KINDS with how many mutations it gets in a run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from tests.load.harness import Mutation, MutationKind, Outcome, Person, Script, fire

STATUS_FLOW = ("proposed", "planned", "in_progress", "done")


def _new_run() -> str:
    return uuid.uuid4().hex[:8]


def compare(
    requested: set[object], acknowledged: set[object], stored: list[object], what: str
) -> list[str]:
    """Stored must hold everything acknowledged, nothing unrequested, nothing twice."""
    problems = [f"acknowledged but not stored: {what} {r}" for r in acknowledged - set(stored)]
    problems += [f"stored but never requested: {what} {r}" for r in set(stored) - requested]
    if len(stored) != len(set(stored)):
        problems.append(f"{len(stored) - len(set(stored))} {what}(s) stored twice")
    return problems


@dataclass
class CreateEntry:
    """POST /entries: quick entries with new and shared tags, half under htmx and half as
    plain form posts, each with an idempotency key of its own."""

    name: str = "create entry"
    run: str = field(default_factory=_new_run)

    def plan(self, base_url: str, people: list[Person], count: int, engine: Engine) -> list[Script]:
        return [Script(n % len(people), [self._mutation(n)]) for n in range(count)]

    def check(self, engine: Engine, outcomes: list[Outcome]) -> list[str]:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT idempotency_key FROM entries WHERE idempotency_key LIKE :run"),
                {"run": f"load-{self.run}-%"},
            ).scalars()
            stored_keys: list[object] = list(stored)
        return compare(
            {o.mutation.ref for o in outcomes},
            {o.mutation.ref for o in outcomes if o.acknowledged},
            stored_keys,
            "entry",
        )

    def _mutation(self, number: int) -> Mutation:
        key = f"load-{self.run}-{number}"
        data = {
            "title": f"Load lesson {number}",
            "what_happened": f"Lesson {number} of load run {self.run}.",
            "tags": f"load, batch-{number % 7}, run-{self.run}-{number % 50}",
            "idempotency_key": key,
        }
        return Mutation("/entries", data, ref=key, htmx=number % 2 == 0)


@dataclass
class MoveImprovement:
    """POST /improvements/<id>/status: each improvement moved along its whole flow,
    proposed → planned → in progress → done, one step after the other by its owner.

    The improvements are made first through the app: quick entries whose "what we will
    change" becomes an improvement their author owns.
    """

    name: str = "move improvement"
    run: str = field(default_factory=_new_run)

    def plan(self, base_url: str, people: list[Person], count: int, engine: Engine) -> list[Script]:
        steps = list(pairwise(STATUS_FLOW))
        owned = self._propose(base_url, people, max(1, count // len(steps)), engine)
        return [
            Script(
                person,
                [
                    Mutation(
                        f"/improvements/{improvement}/status",
                        {"to": to, "expected": expected, "return_to": "improvement"},
                        ref=(improvement, expected, to),
                        htmx=step % 2 == 0,
                    )
                    for step, (expected, to) in enumerate(steps)
                ],
            )
            for person, improvement in owned
        ]

    def check(self, engine: Engine, outcomes: list[Outcome]) -> list[str]:
        ids = sorted({o.mutation.ref[0] for o in outcomes})  # type: ignore[index]
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT improvement_id, from_status, to_status FROM status_changes"
                    " WHERE from_status IS NOT NULL AND improvement_id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": ids},
            ).all()
        return compare(
            {o.mutation.ref for o in outcomes},
            {o.mutation.ref for o in outcomes if o.acknowledged},
            [tuple(row) for row in rows],
            "move",
        )

    def _propose(
        self, base_url: str, people: list[Person], count: int, engine: Engine
    ) -> list[tuple[int, int]]:
        """Make ``count`` improvements; returns (person, improvement id) pairs."""
        scripts = [
            Script(
                n % len(people),
                [
                    Mutation(
                        "/entries",
                        {
                            "title": f"Lesson {n} that needs a change",
                            "what_we_will_change": f"Change {n} of run {self.run}",
                            "track_change": "y",
                            "idempotency_key": f"move-{self.run}-{n}",
                        },
                        ref=n,
                    )
                ],
            )
            for n in range(count)
        ]
        made = fire(base_url, people, [("propose", s) for s in scripts], threads=8)
        assert all(o.acknowledged for o in made.outcomes), "could not propose improvements"
        person_of = {person.user_id: number for number, person in enumerate(people)}
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT improvements.id, entries.author_id FROM improvements"
                    " JOIN entries ON entries.id = improvements.entry_id"
                    " WHERE entries.idempotency_key LIKE :run ORDER BY improvements.id"
                ),
                {"run": f"move-{self.run}-%"},
            ).all()
        assert len(rows) == count, f"{len(rows)} improvements made of {count}"
        return [(person_of[author], improvement) for improvement, author in rows]


# Each kind, and how many of a run's mutations it makes.
KINDS: list[tuple[Callable[[], MutationKind], float]] = [
    (CreateEntry, 1.0),
    (MoveImprovement, 0.05),
]
