"""Cheers: a celebration of a done improvement, or thanks to an entry's author for sharing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.extensions import db
from learnapp.models import UTCDateTime, utcnow


class Cheer(db.Model):
    """One person's cheer for one improvement, or thanks for one entry: never two."""

    __tablename__ = "cheers"
    __table_args__ = (
        CheckConstraint("(improvement_id IS NULL) <> (entry_id IS NULL)", name="one_target"),
        UniqueConstraint("user_id", "improvement_id"),
        UniqueConstraint("user_id", "entry_id"),
        Index("ix_cheers_improvement", "improvement_id", "user_id"),
        Index("ix_cheers_entry", "entry_id", "user_id"),
        Index("ix_cheers_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    improvement_id: Mapped[int | None] = mapped_column(
        ForeignKey("improvements.id", ondelete="CASCADE")
    )
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
