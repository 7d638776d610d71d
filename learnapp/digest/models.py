"""DigestDelivery: one weekly digest to one reader, sent at most once (DESIGN.md §2, §5)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.extensions import db
from learnapp.models import User, UTCDateTime, enum_column, utcnow


class DeliveryStatus(enum.StrEnum):
    """pending → sending → sent, or failed. A transient failure puts it back to pending."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by one run; no other run may touch it
    SENT = "sent"
    FAILED = "failed"


class DigestDelivery(db.Model):
    """The digest of one ISO week for one user. The unique (user, week) pair is what makes a
    second run, or two runs at once, unable to send it twice."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "week"),
        Index("ix_digest_deliveries_week", "week", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))  # "2026-W03"
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "digest_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
