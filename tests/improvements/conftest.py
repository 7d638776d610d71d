"""People around one team entry, and improvements made directly in the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from learnapp.extensions import db
from learnapp.improvements.models import Improvement, ImprovementType, Status, StatusChange
from learnapp.models import Entry, Role, User, utcnow


@pytest.fixture
def people(make_user: Any) -> dict[str, User]:
    """Everyone whose rights differ around an entry written by "author" in platform."""
    return {
        "author": make_user("Author"),
        "owner": make_user("Owner"),
        "lead": make_user("Lead", role=Role.LEAD),
        "teammate": make_user("Teammate"),
        "other_team": make_user("Other", team="payments"),
        "other_lead": make_user("OtherLead", team="payments", role=Role.LEAD),
        "admin": make_user("Admin", team="payments", admin=True),
    }


@pytest.fixture
def entry(make_entry: Any, people: dict[str, User]) -> Entry:
    return make_entry(people["author"], title="Stale cache served old prices")


@pytest.fixture
def make_improvement(app: Any) -> Any:
    """Add an improvement with the given status and times, and a history that matches."""
    counter = iter(range(1, 1_000_000))

    def make(
        entry: Entry,
        owner: User,
        status: Status = Status.PROPOSED,
        created_at: datetime | None = None,
        done_at: datetime | None = None,
        **fields: Any,
    ) -> Improvement:
        number = next(counter)
        created_at = created_at or utcnow() - timedelta(days=1)
        fields.setdefault("title", f"Improvement {number}")
        fields.setdefault("type", ImprovementType.PROCESS)
        fields.setdefault("priority", 2)
        improvement = Improvement(
            entry=entry,
            owner=owner,
            created_by=owner,
            status=status,
            created_at=created_at,
            done_at=done_at if status is Status.DONE else None,
            idempotency_key=f"test-improvement-{number}",
            **fields,
        )
        improvement.history.append(
            StatusChange(
                from_status=None,
                to_status=Status.PROPOSED,
                changed_by=owner,
                changed_at=created_at,
            )
        )
        if status is not Status.PROPOSED:
            improvement.history.append(
                StatusChange(
                    from_status=Status.PROPOSED,
                    to_status=status,
                    changed_by=owner,
                    changed_at=done_at or created_at,
                )
            )
        db.session.add(improvement)
        db.session.commit()
        return improvement

    return make


def history_of(improvement: Improvement) -> list[tuple[str | None, str, str]]:
    """(from, to, by) of every status change, oldest first, fresh from the database."""
    db.session.expire_all()
    return [
        (c.from_status and c.from_status.value, c.to_status.value, c.changed_by.display_name)
        for c in db.session.get(Improvement, improvement.id).history
    ]
