"""Incidents: the extra record an incident entry carries, its timeline, responders, their
analyses, the review record and the status history (DESIGN.md §2, issue 4)."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from learnapp.extensions import db
from learnapp.markdown import RENDERER_VERSION, html_column, renders_markdown
from learnapp.models import Entry, User, UTCDateTime, enum_column, utcnow

SEVERITIES = (1, 2, 3, 4)


class IncidentStatus(enum.StrEnum):
    """Where an incident stands: ongoing → resolved → in review → published."""

    ONGOING = "ongoing"
    RESOLVED = "resolved"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ReviewStepName(enum.StrEnum):
    """The steps of a post-incident review, in the order the team takes them."""

    ANALYSES = "analyses"
    UNDERSTANDING = "understanding"
    FACTORS = "factors"
    LEARNINGS = "learnings"
    IMPROVEMENTS = "improvements"

    @property
    def label(self) -> str:
        return REVIEW_STEP_LABELS[self]


REVIEW_STEP_LABELS = {
    ReviewStepName.ANALYSES: "Analyses in: every responder wrote their account",
    ReviewStepName.UNDERSTANDING: "Shared understanding: we read them and agreed a summary",
    ReviewStepName.FACTORS: "Contributing factors: human and technical, each with a note",
    ReviewStepName.LEARNINGS: "Most valuable learnings picked",
    ReviewStepName.IMPROVEMENTS: "Improvement actions proposed and owned",
}


class Incident(db.Model):
    """The extra record of an incident entry: severity, status, times, review and narrative."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("severity BETWEEN 1 AND 4", name="severity"),
        Index("ix_incidents_started", "started_at", "id"),
        Index("ix_incidents_status", "status", "started_at", "id"),
        Index("ix_incidents_severity", "severity", "started_at", "id"),
        # Led by the status, like ix_incidents_status: "published, newest first" must find
        # this one, or SQLite takes the other and sorts every published incident.
        Index("ix_incidents_published", "status", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), unique=True)
    severity: Mapped[int] = mapped_column(default=3)
    status: Mapped[IncidentStatus] = mapped_column(
        enum_column(IncidentStatus, "incident_status"), default=IncidentStatus.ONGOING
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    impact: Mapped[str] = mapped_column(Text, default="")
    # The review's shared understanding and its most valuable learnings (Markdown).
    summary: Mapped[str] = mapped_column(Text, default="")
    learnings: Mapped[str] = mapped_column(Text, default="")
    narrative: Mapped[str] = mapped_column(Text, default="")
    impact_html: Mapped[str] = html_column()
    summary_html: Mapped[str] = html_column()
    learnings_html: Mapped[str] = html_column()
    narrative_html: Mapped[str] = html_column()
    # Which renderer filled the *_html columns; 0 (a row written around the ORM) is stale.
    markdown_version: Mapped[int] = mapped_column(default=RENDERER_VERSION, server_default="0")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # A backref, so the core models need not know about incidents: ``entry.incident``.
    entry: Mapped[Entry] = relationship(
        backref=backref("incident", uselist=False, lazy="select", passive_deletes=True)
    )
    published_by: Mapped[User | None] = relationship()
    events: Mapped[list[TimelineEvent]] = relationship(
        back_populates="incident",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(TimelineEvent.occurred_at, TimelineEvent.id)",
    )

    @property
    def time_to_detect(self) -> timedelta:
        """From the start to its detection."""
        return self.detected_at - self.started_at

    @property
    def time_to_resolve(self) -> timedelta | None:
        """From the start to its resolution (None while ongoing)."""
        return None if self.resolved_at is None else self.resolved_at - self.started_at

    @property
    def severity_name(self) -> str:
        return f"SEV{self.severity}"

    @property
    def is_ongoing(self) -> bool:
        return self.status is IncidentStatus.ONGOING

    @property
    def is_published(self) -> bool:
        return self.status is IncidentStatus.PUBLISHED


renders_markdown(Incident, "impact", "summary", "learnings", "narrative")


class TimelineEvent(db.Model):
    """A key event of an incident: when it happened and what happened."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        UniqueConstraint("author_id", "idempotency_key"),
        Index("ix_timeline_events_incident", "incident_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="events")
    author: Mapped[User] = relationship()


class Responder(db.Model):
    """Someone on the incident: joined, added an event or wrote an analysis."""

    __tablename__ = "incident_responders"
    __table_args__ = (UniqueConstraint("incident_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship()
    user: Mapped[User] = relationship()


class Analysis(db.Model):
    """One responder's own account of an incident, written before the review."""

    __tablename__ = "analyses"
    __table_args__ = (
        UniqueConstraint("incident_id", "author_id"),
        Index("ix_analyses_author", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    saw_and_did: Mapped[str] = mapped_column(Text, default="")
    surprised: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[str] = mapped_column(Text, default="")
    saw_and_did_html: Mapped[str] = html_column()
    surprised_html: Mapped[str] = html_column()
    themes_html: Mapped[str] = html_column()
    # Which renderer filled the *_html columns; 0 (a row written around the ORM) is stale.
    markdown_version: Mapped[int] = mapped_column(default=RENDERER_VERSION, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    incident: Mapped[Incident] = relationship()
    author: Mapped[User] = relationship()


renders_markdown(Analysis, "saw_and_did", "surprised", "themes")


class ReviewStep(db.Model):
    """The review record: a step of the post-incident review ticked, by whom and when."""

    __tablename__ = "review_steps"
    __table_args__ = (UniqueConstraint("incident_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    step: Mapped[ReviewStepName] = mapped_column(enum_column(ReviewStepName, "review_step"))
    ticked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship()
    ticked_by: Mapped[User] = relationship()


class IncidentStatusChange(db.Model):
    """One step of an incident's status history: declared, resolved, reviewed, published."""

    __tablename__ = "incident_status_changes"
    __table_args__ = (Index("ix_incident_status_changes_incident", "incident_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    # None for the declaration: the first row of every history.
    from_status: Mapped[IncidentStatus | None] = mapped_column(
        enum_column(IncidentStatus, "incident_change_from")
    )
    to_status: Mapped[IncidentStatus] = mapped_column(
        enum_column(IncidentStatus, "incident_change_to")
    )
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship()
    changed_by: Mapped[User] = relationship()
