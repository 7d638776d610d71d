"""Demo data: one organisation, two teams, six people, ~40 entries over eight weeks, the
improvements they led to, moved some way along their flow, and incidents at every stage."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from learnapp.celebrate.models import Cheer
from learnapp.extensions import db
from learnapp.improvements.models import ImprovementType, Status, StatusChange
from learnapp.improvements.writing import improvement_from_change, mark_no_change
from learnapp.incidents.demo import add_demo_incidents
from learnapp.models import Entry, Kind, Membership, Role, Team, User, Visibility, utcnow
from learnapp.security import hash_password
from learnapp.tags import tags_named

DEMO_EMAIL = "ada@example.com"
DEMO_PASSWORD = "learnapp-demo"  # noqa: S105  (printed by seed-demo on purpose)

PEOPLE = [
    ("Ada Lovelace", "ada@example.com", "platform", Role.LEAD, True),
    ("Grace Hopper", "grace@example.com", "platform", Role.MEMBER, False),
    ("Linus Pauling", "linus@example.com", "platform", Role.MEMBER, False),
    ("Katherine Johnson", "katherine@example.com", "payments", Role.LEAD, False),
    ("Alan Kay", "alan@example.com", "payments", Role.MEMBER, False),
    ("Margaret Hamilton", "margaret@example.com", "payments", Role.MEMBER, False),
]

LESSONS = [
    (
        "Stuck three hours on a stale virtualenv",
        "deploy python tooling",
        "Tests passed locally but failed in CI. My `.venv` had an old **pydantic**.",
        "Recreate the venv when the lock file changes.",
        "Add a `make` target that rebuilds the venv when `requirements.lock` changes.",
    ),
    (
        "Migration locked the orders table for 40 seconds",
        "database migration",
        "An `ALTER TABLE` with a default rewrote the table during peak traffic.",
        "Adding a column with a volatile default rewrites the whole table.",
        "Review migrations for table rewrites; run big ones off-peak.",
    ),
    (
        "Forgot the feature flag before merging",
        "feature-flags review",
        "The half-done checkout page went live for 10 minutes.",
        "Unfinished work needs a flag *before* it reaches main.",
        "A PR template checkbox: *behind a flag?*",
    ),
    (
        "Timezone bug in the weekly report",
        "timezones reporting",
        "Sunday evening entries counted in the wrong week for Sydney.",
        "Store UTC, convert at the edge, test with a far-away zone.",
        "",
    ),
    (
        "Alert fired, nobody knew the runbook",
        "on-call alerting",
        "The disk alert linked to a deleted wiki page.",
        "Every alert needs a runbook link that is checked.",
        "CI check that alert runbook URLs resolve.",
    ),
    (
        "Cache kept serving the old price",
        "cache payments",
        "After a price change the CDN kept the old JSON for an hour.",
        "Price endpoints must not be cached at the edge.",
        "Set `Cache-Control: no-store` on pricing responses.",
    ),
    (
        "Copied a production token into a ticket",
        "security secrets",
        "I pasted a log line with a bearer token into a public ticket.",
        "Logs must redact secrets before anyone copies them.",
        "Redact `Authorization` headers in the log formatter.",
    ),
    (
        "Flaky test hid a real race",
        "testing concurrency",
        "We retried a flaky test for weeks; it was a real race in the queue consumer.",
        "A flaky test is a bug report, not noise.",
        "Quarantine list with an owner and a date.",
    ),
    (
        "Rolled back the wrong service",
        "deploy on-call",
        "Two services had similar names in the deploy tool.",
        "Names that differ by one word invite mistakes under pressure.",
        "Rename `payments-api` and `payment-api`.",
    ),
    (
        "Backups were never tested",
        "database backups",
        "A restore drill found the last 3 weeks of backups empty.",
        "A backup is only real once it has been restored.",
        "Monthly restore drill.",
    ),
]

INCIDENTS = [
    (
        "Checkout down for 25 minutes (SEV2)",
        "payments incident",
        "A bad config push disabled the payment provider.\n\n- 14:02 deploy\n- 14:05 alerts\n"
        "- 14:27 rollback",
        "Config changes need the same review and canary as code.",
        "Validate provider config in CI; canary config pushes.",
    ),
    (
        "Deleted production rows, restored from backup",
        "database incident backups",
        "A cleanup script ran against production instead of staging.",
        "Scripts that delete must confirm the environment by name.",
        "Add an environment banner and a `--confirm-env` flag.",
    ),
]


# The same kind of mistake recurs in other places: that is what the app helps to notice.
PLACES = ["", " in staging", " on the billing service", " during the release freeze"]


def _people(teams: dict[str, Team]) -> list[User]:
    password = hash_password(DEMO_PASSWORD)
    people = []
    for name, email, team_slug, role, admin in PEOPLE:
        user = User(
            email=email,
            display_name=name,
            password_hash=password,
            is_admin=admin,
            timezone="Europe/London",
        )
        user.memberships.append(Membership(team=teams[team_slug], role=role))
        people.append(user)
    db.session.add_all(people)
    return people


def seed(count: int = 40, seed_value: int = 7) -> None:
    """Add the demo organisation (deterministic for a given ``seed_value``)."""
    rng = random.Random(seed_value)
    teams = {
        slug: Team(name=name, slug=slug)
        for slug, name in (("platform", "Platform"), ("payments", "Payments"))
    }
    db.session.add_all(teams.values())
    people = _people(teams)
    now = utcnow()
    stories = [(s, Kind.LESSON) for s in LESSONS] + [(s, Kind.INCIDENT) for s in INCIDENTS]
    incidents = []
    for i in range(count):
        (title, tags, happened, learned, change), kind = stories[i % len(stories)]
        author = people[i % len(people)]
        visibility = rng.choices(list(Visibility), weights=[8, 3, 1])[0]
        entry = Entry(
            kind=kind,
            title=title + PLACES[i // len(stories) % len(PLACES)],
            what_happened=happened,
            what_we_learned=learned,
            what_we_will_change=change,
            author=author,
            team=author.memberships[0].team,
            visibility=visibility,
            anonymous=rng.random() < 0.1,
            time_lost_minutes=rng.choice([None, 30, 90, 180, 480]),
            idempotency_key=str(uuid.UUID(int=rng.getrandbits(128))),
            created_at=now - timedelta(minutes=rng.randrange(10, 8 * 7 * 24 * 60)),
        )
        entry.updated_at = entry.created_at
        entry.tags = tags_named(tags.split())
        db.session.add(entry)
        db.session.flush()  # new tags become visible to the next entry's lookup
        _repair(rng, entry, people, now)
        if kind is Kind.INCIDENT:
            incidents.append(entry)
    add_demo_incidents(incidents, people)
    db.session.flush()
    _cheer(rng, people)
    db.session.commit()


def _cheer(rng: random.Random, people: list[User]) -> None:
    """Thank some authors for sharing and cheer some done improvements, as a team would."""
    entries = db.session.scalars(select(Entry).where(Entry.visibility == Visibility.ORG)).all()
    for entry in entries:
        others = [p for p in people if p.id != entry.author_id]
        for person in rng.sample(others, rng.randrange(0, 3)):
            at = entry.created_at + timedelta(hours=rng.randrange(1, 72))
            db.session.add(
                Cheer(user_id=person.id, entry_id=entry.id, created_at=min(at, utcnow()))
            )
        for improvement in entry.improvements:
            if improvement.status is not Status.DONE:
                continue
            fans = [p for p in people if p.id != improvement.owner_id]
            for person in rng.sample(fans, rng.randrange(1, 4)):
                at = improvement.done_at + timedelta(hours=rng.randrange(1, 48))
                db.session.add(
                    Cheer(
                        user_id=person.id,
                        improvement_id=improvement.id,
                        created_at=min(at, utcnow()),
                    )
                )


# How far demo improvements got, with weights: most lessons become a done change.
FLOW = [
    ([Status.PLANNED, Status.IN_PROGRESS, Status.DONE], 8),
    ([Status.PLANNED, Status.IN_PROGRESS], 3),
    ([Status.PLANNED], 2),
    ([], 2),
    ([Status.DROPPED], 1),
]


def _repair(rng: random.Random, entry: Entry, people: list[User], now: datetime) -> None:
    """Give ``entry`` the improvement its "what we will change" proposes, moved some way."""
    if not entry.what_we_will_change or rng.random() < 0.2:
        if rng.random() < 0.5:
            mark_no_change(entry, entry.author, "A one-off: the tooling that caused it is gone.")
            entry.no_change_at = entry.created_at + timedelta(hours=2)
        return
    owner = entry.author if entry.visibility is not Visibility.ORG else rng.choice(people)
    improvement = improvement_from_change(entry, entry.author)
    improvement.owner = owner
    improvement.priority = rng.choice([1, 2, 2, 3])
    improvement.type = rng.choice(list(ImprovementType))
    improvement.idempotency_key = str(uuid.UUID(int=rng.getrandbits(128)))
    if rng.random() < 0.4:
        improvement.external_ref = f"OPS-{rng.randrange(100, 999)}"
    at = improvement.created_at = entry.created_at + timedelta(hours=rng.randrange(1, 48))
    improvement.history[0].changed_at = at
    steps = rng.choices([path for path, _ in FLOW], weights=[w for _, w in FLOW])[0]
    for step in steps:
        later = at + timedelta(hours=rng.randrange(2, 24 * 6))
        if later >= now:
            break
        improvement.history.append(
            StatusChange(
                from_status=improvement.status,
                to_status=step,
                changed_by=owner,
                changed_at=later,
                reason="Superseded by the new deploy tool." if step is Status.DROPPED else "",
            )
        )
        improvement.status, at = step, later
    improvement.done_at = at if improvement.status is Status.DONE else None
    improvement.updated_at = at
    if improvement.status.is_open and rng.random() < 0.5:
        improvement.due_date = (at + timedelta(days=rng.randrange(-10, 30))).date()
    if improvement.status is Status.DROPPED:
        improvement.drop_reason = "Superseded by the new deploy tool."
