"""Writing improvements: propose, move along the flow, and mark entries "no change needed"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from learnapp.extensions import db
from learnapp.idempotency import new_key
from learnapp.improvements.models import Improvement, ImprovementType, Status, StatusChange
from learnapp.models import Entry, User, utcnow
from learnapp.transitions import move_if_still

# The flow: forward through these, or drop from any open status; reopen from done or dropped.
FORWARD = (Status.PROPOSED, Status.PLANNED, Status.IN_PROGRESS, Status.DONE)
REOPEN = "reopen"
MOVE_LABELS = {"planned": "Plan it", "in_progress": "Start", "done": "Mark done"}
TITLE_LENGTH = 200


def targets_from(status: Status) -> list[Status]:
    """The statuses an improvement may move to from ``status`` (reopen aside)."""
    if not status.is_open:
        return []
    return [*FORWARD[FORWARD.index(status) + 1 :], Status.DROPPED]


def propose(entry: Entry, proposer: User, key: str = "", **fields: object) -> Improvement:
    """Add a proposed improvement to ``entry`` with the first line of its history."""
    fields = {"type": ImprovementType.PROCESS, "priority": 2, **fields}
    improvement = Improvement(
        entry=entry,
        created_by=proposer,
        idempotency_key=key or new_key(),
        status=Status.PROPOSED,
        created_at=utcnow(),
        **fields,
    )
    improvement.history.append(
        StatusChange(
            from_status=None,
            to_status=Status.PROPOSED,
            changed_by=proposer,
            changed_at=improvement.created_at,
        )
    )
    db.session.add(improvement)
    return improvement


def improvement_from_change(entry: Entry, author: User) -> Improvement:
    """An improvement owned by ``author`` made from the entry's "what we will change"."""
    # The first line of Markdown, without its list or heading marker, names the change.
    stripped = (
        line.strip().lstrip("-*#> ").replace("`", "").strip()
        for line in entry.what_we_will_change.splitlines()
    )
    lines = [line for line in stripped if line]
    title = lines[0] if lines else entry.title
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1].rstrip() + "…"
    # Keep the whole text as details unless the title already says all of it.
    details = "" if lines == [title] else entry.what_we_will_change
    return propose(entry, author, title=title, details=details, owner=author)


@dataclass
class Move:
    """What became of a requested move."""

    moved: bool
    # Set when the improvement had already moved on (another person, or a double click).
    already: bool = False


def reopen_target(improvement: Improvement, closed: Status) -> Status:
    """The open status an improvement had before it became ``closed`` (else proposed)."""
    previous = db.session.scalar(
        select(StatusChange.from_status)
        .where(StatusChange.improvement_id == improvement.id, StatusChange.to_status == closed)
        .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
        .limit(1)
    )
    return previous if previous is not None and previous.is_open else Status.PROPOSED


def move(
    improvement: Improvement, target: Status, expected: Status, by: User, reason: str = ""
) -> Move:
    """Move ``improvement`` from ``expected`` to ``target`` and record who did it.

    The update is conditional on the status still being ``expected``: when someone moved
    it meanwhile nothing changes, so two clicks never write two history rows.
    """
    now = utcnow()
    values: dict[str, object] = {"status": target, "updated_at": now}
    values["done_at"] = now if target is Status.DONE else None
    values["drop_reason"] = reason if target is Status.DROPPED else ""
    history = StatusChange(
        improvement_id=improvement.id,
        from_status=expected,
        to_status=target,
        changed_by=by,
        changed_at=now,
        reason=reason,
    )
    if not move_if_still(improvement, expected, values, history):
        return Move(moved=False, already=improvement.status is target)
    return Move(moved=True)


def mark_no_change(entry: Entry, by: User, reason: str) -> None:
    """Record that ``entry`` needs no improvement, and why."""
    entry.no_change_reason = reason
    entry.no_change_by = by
    entry.no_change_at = utcnow()


def clear_no_change(entry: Entry) -> None:
    entry.no_change_reason = None
    entry.no_change_by = None
    entry.no_change_at = None
