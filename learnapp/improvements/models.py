"""Improvements: repair items that turn an entry's lesson into a change (DESIGN.md §2)."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from learnapp.extensions import db
from learnapp.markdown import RENDERER_VERSION, html_column, renders_markdown
from learnapp.models import Entry, User, UTCDateTime, enum_column, utcnow


class ImprovementType(enum.StrEnum):
    PROCESS = "process"
    CODE = "code"
    TEST = "test"
    MONITORING = "monitoring"
    CONFIG = "config"
    DOCS = "docs"
    TRAINING = "training"

    @property
    def label(self) -> str:
        return "Docs" if self is ImprovementType.DOCS else self.value.capitalize()


class Status(enum.StrEnum):
    """Where an improvement stands: proposed → planned → in progress → done, or dropped."""

    PROPOSED = "proposed"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_open(self) -> bool:
        return self not in (Status.DONE, Status.DROPPED)


OPEN_STATUSES = tuple(s for s in Status if s.is_open)
PRIORITIES = (1, 2, 3)


class Improvement(db.Model):
    """A change to process or system that keeps an entry's mistake from happening again."""

    __tablename__ = "improvements"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
        UniqueConstraint("created_by_id", "idempotency_key"),
        # Lists filter on a status most rows share and order by these columns: the index
        # gives the order, and the status is checked on the way (leading with the status
        # made SQLite sort every open improvement for each page).
        Index("ix_improvements_priority", "priority", "created_at", "id"),
        Index("ix_improvements_created", "created_at", "id"),
        Index("ix_improvements_owner", "owner_id", "status", "created_at"),
        Index("ix_improvements_done", "done_at", "id"),  # only done ones have a done_at
        Index("ix_improvements_entry", "entry_id", "status"),  # "has a live one?" from the index
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    details_html: Mapped[str] = html_column()
    # Which renderer filled the *_html columns; 0 (a row written around the ORM) is stale.
    markdown_version: Mapped[int] = mapped_column(default=RENDERER_VERSION, server_default="0")
    type: Mapped[ImprovementType] = mapped_column(
        enum_column(ImprovementType, "improvement_type"), default=ImprovementType.PROCESS
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    priority: Mapped[int] = mapped_column(default=2)
    due_date: Mapped[date | None] = mapped_column(Date)
    external_ref: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[Status] = mapped_column(
        enum_column(Status, "improvement_status"), default=Status.PROPOSED
    )
    drop_reason: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    entry: Mapped[Entry] = relationship(back_populates="improvements")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    # Loaded with the improvement by learnapp.celebrate.counts (None when not asked for).
    cheer_count: Mapped[int | None] = query_expression()
    cheered_by_me: Mapped[bool | None] = query_expression()
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="improvement",
        cascade="all, delete-orphan",
        order_by="(StatusChange.changed_at, StatusChange.id)",
    )

    @property
    def lead_time(self) -> timedelta | None:
        """Idea to practice: from proposal to done (None unless done)."""
        if self.status is not Status.DONE or self.done_at is None:
            return None
        return self.done_at - self.created_at

    def age(self, now: datetime) -> timedelta:
        return now - self.created_at

    def is_overdue(self, today: date) -> bool:
        """Open and past its due date (``today`` in the viewer's timezone)."""
        return self.status.is_open and self.due_date is not None and self.due_date < today

    @property
    def priority_label(self) -> str:
        return f"P{self.priority}"


renders_markdown(Improvement, "details")


class StatusChange(db.Model):
    """One step in an improvement's history: who moved it from what to what, and when."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_improvement", "improvement_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id", ondelete="CASCADE"))
    # None for the proposal itself: the first row of every history.
    from_status: Mapped[Status | None] = mapped_column(enum_column(Status, "status_change_from"))
    to_status: Mapped[Status] = mapped_column(enum_column(Status, "status_change_to"))
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")

    improvement: Mapped[Improvement] = relationship(back_populates="history")
    changed_by: Mapped[User] = relationship()
