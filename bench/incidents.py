"""The incident half of the benchmark dataset: the incident record of every incident entry,
its timeline, responders, their analyses, the review and the status history.

One recent, published, organisation-wide incident gets a long timeline: the entry-page
benchmark opens it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bench import content
from bench.clock import DAY, HOUR, MINUTE, between
from learnapp.incidents.models import IncidentStatus, ReviewStepName
from learnapp.models import Visibility

if TYPE_CHECKING:
    from bench.dataset import Builder, EntryFacts

LONG_TIMELINE = 240  # events of the one incident the entry-page benchmark opens
STATUS_WEIGHTS = (
    (IncidentStatus.PUBLISHED, 70),
    (IncidentStatus.IN_REVIEW, 12),
    (IncidentStatus.RESOLVED, 13),
    (IncidentStatus.ONGOING, 5),
)


def long_timeline_entry(builder: Builder) -> EntryFacts | None:
    """The incident the entry page is measured on: the latest organisation-wide one that
    is at least a month old (so it could be published) and not deleted."""
    old_enough = builder.anchor - 30 * DAY
    for entry in reversed(builder.incidents):
        if (
            entry.visibility is Visibility.ORG
            and not entry.deleted
            and entry.created_at < old_enough
        ):
            return entry
    return None


def add_incidents(builder: Builder) -> None:
    """Add an incident record and everything around it for each incident entry."""
    rng, data, anchor = builder.rng, builder.data, builder.anchor
    chosen = long_timeline_entry(builder)
    ids = {"event": 0, "responder": 0, "analysis": 0, "step": 0, "change": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    for incident_id, entry in enumerate(builder.incidents, start=1):
        long = chosen is not None and entry.id == chosen.id
        status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
        if long:
            status = IncidentStatus.PUBLISHED
        started = entry.created_at - rng.uniform(5, 120) * MINUTE
        detected = between(rng, started, entry.created_at)
        resolved: datetime | None = entry.created_at + rng.uniform(0.2, 12) * HOUR
        reviewed = resolved + rng.uniform(1, 5) * DAY
        published: datetime | None = reviewed + rng.uniform(1, 9) * DAY
        if published > anchor and status is IncidentStatus.PUBLISHED:
            status = IncidentStatus.IN_REVIEW
        if reviewed > anchor and status is IncidentStatus.IN_REVIEW:
            status = IncidentStatus.RESOLVED
        if resolved > anchor:
            status = IncidentStatus.ONGOING
        if status is IncidentStatus.ONGOING:
            resolved = None
        if status is not IncidentStatus.PUBLISHED:
            published = None

        responders = [entry.author_id]
        for _ in range(12 if long else rng.randrange(1, 5)):
            person = builder.reader(entry, but=entry.author_id)
            if person is not None and person not in responders:
                responders.append(person)
        reviewing = status in (IncidentStatus.IN_REVIEW, IncidentStatus.PUBLISHED)
        topic, service = rng.choice(content.TOPICS), rng.choice(content.SERVICES)
        text = content.paragraph
        data.add(
            "incidents",
            {
                "id": incident_id,
                "entry_id": entry.id,
                "severity": rng.choices((1, 2, 3, 4), (5, 20, 45, 30))[0],
                "status": status,
                "started_at": started,
                "detected_at": detected,
                "resolved_at": resolved,
                "impact": text(rng, topic, service, 1),
                "summary": text(rng, topic, service) if reviewing else "",
                "learnings": text(rng, topic, service, 2) if reviewing else "",
                "narrative": text(rng, topic, service, 8) if published else "",
                "published_at": published,
                "published_by_id": entry.author_id if published else None,
                "created_at": entry.created_at,
                "updated_at": published or resolved or entry.created_at,
            },
        )
        end = resolved or min(entry.created_at + 2 * HOUR, anchor)
        moments = sorted(
            between(rng, started, end)
            for _ in range(LONG_TIMELINE if long else rng.randrange(4, 20))
        )
        for moment in moments:
            event_id = next_id("event")
            data.add(
                "timeline_events",
                {
                    "id": event_id,
                    "incident_id": incident_id,
                    "occurred_at": moment,
                    "text": content.fill(rng, rng.choice(content.TIMELINE), topic, service),
                    "author_id": rng.choice(responders),
                    "idempotency_key": f"bench-event-{event_id}",
                    "created_at": moment,
                    "updated_at": moment,
                },
            )
        for person in responders:
            joined = between(rng, detected, end)
            data.add(
                "incident_responders",
                {"id": next_id("responder"), "incident_id": incident_id, "user_id": person,
                 "joined_at": joined},
            )  # fmt: skip
            if reviewing and (person == entry.author_id or rng.random() < 0.7):
                written = between(rng, resolved, min(reviewed, anchor))
                data.add(
                    "analyses",
                    {
                        "id": next_id("analysis"),
                        "incident_id": incident_id,
                        "author_id": person,
                        "saw_and_did": text(rng, topic, service, 2),
                        "surprised": text(rng, topic, service, 1),
                        "themes": topic,
                        "created_at": written,
                        "updated_at": written,
                    },
                )
        steps = list(ReviewStepName)
        ticked = len(steps) if published else rng.randrange(0, len(steps)) if reviewing else 0
        for step in steps[:ticked]:
            data.add(
                "review_steps",
                {"id": next_id("step"), "incident_id": incident_id, "step": step,
                 "ticked_by_id": entry.author_id,
                 "ticked_at": between(rng, reviewed, published or anchor)},
            )  # fmt: skip
        changes = [(None, IncidentStatus.ONGOING, entry.created_at)]
        if resolved:
            changes.append((IncidentStatus.ONGOING, IncidentStatus.RESOLVED, resolved))
        if reviewing:
            changes.append((IncidentStatus.RESOLVED, IncidentStatus.IN_REVIEW, reviewed))
        if published:
            changes.append((IncidentStatus.IN_REVIEW, IncidentStatus.PUBLISHED, published))
        for from_status, to_status, at in changes:
            data.add(
                "incident_status_changes",
                {"id": next_id("change"), "incident_id": incident_id, "from_status": from_status,
                 "to_status": to_status, "changed_by_id": entry.author_id, "changed_at": at},
            )  # fmt: skip
    data.facts["long_timeline_entry_id"] = chosen.id if chosen else None
    data.facts["long_timeline_events"] = LONG_TIMELINE if chosen else 0
