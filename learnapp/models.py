"""The core domain: people, teams and the entries they log (DESIGN.md §2)."""

from __future__ import annotations

import enum
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates

from learnapp.extensions import db
from learnapp.markdown import RENDERER_VERSION, html_column, renders_markdown

if TYPE_CHECKING:
    from learnapp.improvements.models import Improvement


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Role(enum.StrEnum):
    MEMBER = "member"
    LEAD = "lead"


class Kind(enum.StrEnum):
    LESSON = "lesson"
    INCIDENT = "incident"


class Visibility(enum.StrEnum):
    ORG = "org"
    TEAM = "team"
    PRIVATE = "private"


class FactorCategory(enum.StrEnum):
    HUMAN = "human"
    TECHNICAL = "technical"


def enum_column(kind: type[enum.Enum], name: str) -> Enum:
    """An enum column stored as its values' strings."""
    # Stored as plain strings with a CHECK, so PostgreSQL needs no ENUM type migrations.
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


MAX_NAME_KEY = 320  # NFKC can spell one character out as many; no real name comes close


def name_key(name: str) -> str:
    """``name`` as people would read it aloud: what two display names must not share.

    Trimmed, runs of whitespace made one space, case folded; also NFKC-normalised and with
    invisible format characters (zero-width spaces, joiners, direction marks) left out, so
    that names which only differ in ways a reader cannot see count as the same.
    """
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Two active people may not share a name (name_key); a deactivated person's name is
        # free again. Partial unique indexes work alike on SQLite and PostgreSQL.
        Index(
            "uq_users_display_name_key",
            "display_name_key",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(80))
    # name_key(display_name), kept by the validator below.
    display_name_key: Mapped[str] = mapped_column(String(MAX_NAME_KEY))
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_opt_in: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    # Bumped to end every session of this user: part of the id Flask-Login keeps in cookies.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    @validates("display_name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.display_name_key = name_key(name)
        return name

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def team_ids(self) -> set[int]:
        return {m.team_id for m in self.memberships}

    def is_lead_of(self, team_id: int | None) -> bool:
        return any(m.team_id == team_id and m.role == Role.LEAD for m in self.memberships)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "membership_role"), default=Role.MEMBER)

    user: Mapped[User] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships")


entry_tags = Table(
    "entry_tags",
    db.metadata,
    Column("entry_id", ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Entry(db.Model):
    """One thing that went wrong and what was learned: a lesson or an incident."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("author_id", "idempotency_key"),
        CheckConstraint("time_lost_minutes IS NULL OR time_lost_minutes >= 0", name="time_lost"),
        Index("ix_entries_feed", "created_at", "id"),
        Index("ix_entries_team_feed", "team_id", "created_at", "id"),
        Index("ix_entries_author_feed", "author_id", "created_at", "id"),
        # A team's shared entries, for counts of what a reader sees beyond the organisation's.
        Index("ix_entries_team_visibility", "team_id", "visibility"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "entry_kind"), default=Kind.LESSON)
    title: Mapped[str] = mapped_column(String(200))
    what_happened: Mapped[str] = mapped_column(Text, default="")
    what_we_learned: Mapped[str] = mapped_column(Text, default="")
    what_we_will_change: Mapped[str] = mapped_column(Text, default="")
    what_happened_html: Mapped[str] = html_column()
    what_we_learned_html: Mapped[str] = html_column()
    what_we_will_change_html: Mapped[str] = html_column()
    # Which renderer filled the *_html columns; 0 (a row written around the ORM) is stale.
    markdown_version: Mapped[int] = mapped_column(default=RENDERER_VERSION, server_default="0")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "entry_visibility"), default=Visibility.ORG
    )
    anonymous: Mapped[bool] = mapped_column(default=False)
    time_lost_minutes: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Not indexed: "deleted_at IS NULL" holds for nearly every row, and SQLite without
    # statistics would pick such an index over the feed's and sort the whole table.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "No change needed", with why: the entry counts as handled without an improvement.
    no_change_reason: Mapped[str | None] = mapped_column(Text)
    no_change_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    no_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    no_change_by: Mapped[User | None] = relationship(foreign_keys=[no_change_by_id])
    team: Mapped[Team | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=entry_tags, order_by=Tag.name)
    factors: Mapped[list[ContributingFactor]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )
    improvements: Mapped[list[Improvement]] = relationship(
        back_populates="entry", order_by="(Improvement.created_at, Improvement.id)"
    )
    # Loaded with the entry by learnapp.celebrate.counts (None when a query did not ask).
    thanks_count: Mapped[int | None] = query_expression()
    thanked_by_me: Mapped[bool | None] = query_expression()

    def author_label_for(self, viewer: User | None) -> str:
        """Who wrote this, as ``viewer`` may know it: anonymous entries hide the author."""
        if self.anonymous and (viewer is None or viewer.id != self.author_id):
            return "a teammate"
        return self.author.display_name

    def shows_author_to(self, viewer: User | None) -> bool:
        return not self.anonymous or (viewer is not None and viewer.id == self.author_id)

    @property
    def live_improvements(self) -> list[Improvement]:
        """Improvements that are not dropped: the ones that count as repair."""
        return [i for i in self.improvements if i.status.value != "dropped"]

    @property
    def done_improvement_count(self) -> int:
        return sum(1 for i in self.improvements if i.status.value == "done")

    @property
    def repair_state(self) -> str:
        """repaired (an improvement is done), in repair, no change needed, or unrepaired."""
        if self.done_improvement_count:
            return "repaired"
        if self.live_improvements:
            return "in_repair"
        return "no_change" if self.no_change_reason is not None else "unrepaired"


renders_markdown(Entry, "what_happened", "what_we_learned", "what_we_will_change")


class ContributingFactor(db.Model):
    """A factor behind an entry, from the shared human/technical taxonomy."""

    __tablename__ = "contributing_factors"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    category: Mapped[FactorCategory] = mapped_column(enum_column(FactorCategory, "factor_category"))
    factor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[Entry] = relationship(back_populates="factors")
