"""Invitations: an admin asks someone by email to join, past the sign-up domain rule; an
admin or a team's lead may invite to a team, which accepting it makes them a member of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.extensions import db
from learnapp.models import Team, User, UTCDateTime, utcnow


class Invitation(db.Model):
    """One invitation: its link works until ``expires_at`` and only until it is accepted."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_email", "email", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # stored lower-cased
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The team accepting makes them a member of (None: an account only, from an admin).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))

    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])
    team: Mapped[Team | None] = relationship()

    def is_open(self, now: datetime) -> bool:
        """Neither accepted nor expired."""
        return self.accepted_at is None and now < self.expires_at
