"""Demo incidents: the demo's incident entries get their records, one at each stage, and the
oldest a published narrative (called by learnapp.demo.seed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from learnapp.extensions import db
from learnapp.incidents.models import (
    Analysis,
    Incident,
    IncidentStatus,
    IncidentStatusChange,
    Responder,
    ReviewStep,
    ReviewStepName,
    TimelineEvent,
)
from learnapp.models import ContributingFactor, Entry, FactorCategory, User, Visibility, utcnow

# (minutes after the start, what happened) for the two demo stories, by title prefix.
TIMELINES = {
    "Checkout": [
        (0, "Config push to the payment gateway"),
        (3, "Error rate alert for checkout fires"),
        (9, "On-call sees the provider rejecting every call"),
        (18, "Found the provider key blank in the new config"),
        (25, "Rolled back the config; payments recover"),
    ],
    "Deleted": [
        (0, "Cleanup script started against the wrong database"),
        (12, "Support reports missing orders"),
        (20, "Script stopped; writes paused"),
        (95, "Restore from the 02:00 backup finished"),
        (140, "Orders since 02:00 replayed from the queue"),
    ],
}
ANALYSES = [
    (
        "I saw the checkout error graph go vertical a minute after my deploy and rolled back "
        "as soon as we tied the two together.",
        "The config looked right in review: the blank key only showed in the rendered file.",
        "config review, rendered output",
    ),
    (
        "I was paged and joined the call; I checked the provider's status page first, which "
        "cost us a few minutes.",
        "Our alert named the symptom, not the recent change.",
        "alerting, recent changes",
    ),
]
STAGES = [IncidentStatus.PUBLISHED, IncidentStatus.IN_REVIEW, IncidentStatus.RESOLVED]


def add_demo_incidents(entries: list[Entry], people: list[User]) -> None:
    """Give each incident entry its incident, the newest one still ongoing."""
    entries = sorted(entries, key=lambda e: e.created_at)
    for number, entry in enumerate(entries):
        newest = number == len(entries) - 1
        stage = IncidentStatus.ONGOING if newest else STAGES[min(number, len(STAGES) - 1)]
        _incident(entry, people, stage)


def _incident(entry: Entry, people: list[User], stage: IncidentStatus) -> None:
    start = entry.created_at - timedelta(hours=2)
    steps = TIMELINES["Checkout" if entry.title.startswith("Checkout") else "Deleted"]
    helpers = [p for p in people if p is not entry.author][:1]
    if entry.visibility is Visibility.PRIVATE:
        helpers = []
    incident = Incident(
        entry=entry,
        severity=2 if entry.title.startswith("Checkout") else 1,
        status=stage,
        started_at=start,
        detected_at=start + timedelta(minutes=steps[1][0]),
        resolved_at=None
        if stage is IncidentStatus.ONGOING
        else start + timedelta(minutes=steps[-1][0]),
        impact="Customers could not pay." if entry.title.startswith("Checkout") else "Orders lost.",
        created_at=start,
    )
    db.session.add(incident)
    for person in [entry.author, *helpers]:
        db.session.add(Responder(incident=incident, user=person, joined_at=start))
    for number, (minutes, text) in enumerate(steps):
        author = [entry.author, *helpers][number % (1 + len(helpers))]
        db.session.add(
            TimelineEvent(
                incident=incident,
                occurred_at=start + timedelta(minutes=minutes),
                text=text,
                author=author,
                idempotency_key=f"demo-{entry.idempotency_key[:20]}-{number}",
            )
        )
    _history(incident, entry.author, stage, start)
    if stage in (IncidentStatus.IN_REVIEW, IncidentStatus.PUBLISHED):
        _review_record(incident, entry, [entry.author, *helpers], steps)


def _review_record(
    incident: Incident, entry: Entry, responders: list[User], steps: list[tuple[int, str]]
) -> None:
    """Analyses, notes, factors and ticked steps; the published one's narrative."""
    for person, (saw, surprised, themes) in zip(responders, ANALYSES, strict=False):
        db.session.add(
            Analysis(
                incident=incident,
                author=person,
                saw_and_did=saw,
                surprised=surprised,
                themes=themes,
            )
        )
    incident.summary = entry.what_happened.split("\n")[0]
    incident.learnings = f"- {entry.what_we_learned}"
    db.session.add(
        ContributingFactor(
            entry=entry,
            category=FactorCategory.TECHNICAL,
            factor="config drift" if entry.title.startswith("Checkout") else "missing safeguard",
            note="The check we relied on did not look at what actually ran.",
        )
    )
    db.session.add(
        ContributingFactor(
            entry=entry,
            category=FactorCategory.HUMAN,
            factor="time pressure",
            note="End of quarter.",
        )
    )
    published = incident.status is IncidentStatus.PUBLISHED
    for step in list(ReviewStepName)[: 5 if published else 2]:
        db.session.add(
            ReviewStep(
                incident=incident, step=step, ticked_by=entry.author, ticked_at=incident.resolved_at
            )
        )
    if published:
        incident.narrative = _narrative(entry, steps)
        three_days_on = incident.resolved_at + timedelta(days=3)  # type: ignore[operator]
        incident.published_at = min(three_days_on, utcnow())
        incident.published_by = entry.author


def _history(incident: Incident, by: User, stage: IncidentStatus, start: datetime) -> None:
    flow = list(IncidentStatus)
    previous = None
    for number, status in enumerate(flow[: flow.index(stage) + 1]):
        db.session.add(
            IncidentStatusChange(
                incident=incident,
                from_status=previous,
                to_status=status,
                changed_by=by,
                changed_at=start + timedelta(hours=number),
            )
        )
        previous = status


def _narrative(entry: Entry, steps: list[tuple[int, str]]) -> str:
    timeline = "\n".join(f"- +{minutes} min: {text}" for minutes, text in steps)
    return (
        f"## Summary\n\n{entry.what_happened.split(chr(10))[0]}\n\n"
        f"## Timeline\n\n{timeline}\n\n"
        f"## What we learned\n\n{entry.what_we_learned}\n\n"
        f"## Improvement actions\n\n- {entry.what_we_will_change}\n"
    )
