"""The narrative's first draft, assembled from what the review produced."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from learnapp.formatting import timespan
from learnapp.incidents.models import Incident, TimelineEvent
from learnapp.models import ContributingFactor, Entry


def assemble_draft(
    entry: Entry,
    incident: Incident,
    events: list[TimelineEvent],
    factors: list[ContributingFactor],
    zone: ZoneInfo,
) -> str:
    """Markdown for a first narrative: summary, timeline, factors, learnings, improvements.

    Times are written in ``zone`` with its abbreviation, since readers elsewhere see the text
    as it was written.
    """
    parts = [f"## Summary\n\n{incident.summary.strip() or entry.what_happened.strip() or '…'}"]
    facts = [f"- Severity: {incident.severity_name}"]
    facts.append(f"- Started: {_when(incident.started_at, zone)}")
    detect = timespan(incident.time_to_detect)
    facts.append(f"- Detected: {_when(incident.detected_at, zone)} (after {detect})")
    if incident.resolved_at is not None:
        facts.append(
            f"- Resolved: {_when(incident.resolved_at, zone)} "
            f"(after {timespan(incident.time_to_resolve)})"
        )
    parts.append("\n".join(facts))
    if incident.impact.strip():
        parts.append(f"## Impact\n\n{incident.impact.strip()}")
    if events:
        lines = [f"- {_when(e.occurred_at, zone)}: {e.text}" for e in events]
        parts.append("## Timeline\n\n" + "\n".join(lines))
    if factors:
        lines = [
            f"- {f.category.value.capitalize()}: {f.factor}" + (f" — {f.note}" if f.note else "")
            for f in factors
        ]
        parts.append("## Contributing factors\n\n" + "\n".join(lines))
    learnings = incident.learnings.strip() or entry.what_we_learned.strip()
    if learnings:
        parts.append(f"## What we learned\n\n{learnings}")
    live = entry.live_improvements
    if live:
        lines = [f"- {i.title} ({i.status.label.lower()})" for i in live]
        parts.append("## Improvement actions\n\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _when(moment: object, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)  # type: ignore[attr-defined]
    return local.strftime("%-d %b %Y %H:%M %Z")
