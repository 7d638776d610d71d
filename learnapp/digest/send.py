"""One run of ``flask digest send``: every opted-in reader gets the week's digest once.

Each (reader, week) has one DigestDelivery row, made with INSERT … ON CONFLICT DO NOTHING
under a unique constraint, so two runs at once share one row. A run sends a row only after
claiming it with one atomic ``UPDATE … SET status='sending' WHERE status='pending'``: of two
runs, exactly one sees its update count 1; the other skips the reader. Nothing is held open
while SMTP talks: compose and claim commit first, the result is written after.

- Sent: ``sent``, never touched again; a second run skips it.
- Transient failure (4xx, server unreachable): tried ``MAIL_RETRIES`` times with doubling
  waits, then put back to ``pending`` with the error, for the next run. When the server
  itself is failing, the run stops early and leaves the rest pending: nothing is lost.
- Permanent failure (5xx for this recipient): ``failed`` with the error; the run goes on.
- A run killed while sending one email leaves that row ``sending``. Whether the server took
  the message is unknown, so after ``SENDING_LEASE`` it becomes ``failed`` ("interrupted")
  rather than sent again: a digest may be lost in that moment, but never arrives twice.
  Every row still ``pending`` is sent by the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from learnapp.digest.compose import Digest
from learnapp.digest.figures import figure_rows
from learnapp.digest.models import DeliveryStatus, DigestDelivery
from learnapp.digest.run import DigestRun
from learnapp.digest.weeks import IsoWeek, org_zone
from learnapp.extensions import db
from learnapp.mail import MailError, address, build_message, external_url, render_email
from learnapp.mail import send_message as smtp_send
from learnapp.models import User, utcnow
from learnapp.tokens import unsubscribe_token

SENDING_LEASE = timedelta(minutes=15)  # longer than any one email's tries can take
INTERRUPTED = "interrupted while sending; not sent again, so it cannot arrive twice"


@dataclass
class RunSummary:
    """What a run did, for its one summary line."""

    week: IsoWeek
    dry_run: bool = False
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retry_later: int = 0
    stopped: str = ""
    recipients: list[str] = field(default_factory=list)

    def line(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        text = (
            f"Digest {self.week}: {verb} {self.sent}, skipped {self.skipped}, "
            f"failed {self.failed}, to retry next run {self.retry_later}."
        )
        return text + (f" Stopped early: {self.stopped}" if self.stopped else "")


def digest_message(reader: User, digest: Digest) -> EmailMessage:
    """The digest email to ``reader``, with RFC 8058 one-click unsubscribe headers."""
    unsubscribe = external_url("digest.unsubscribe", token=unsubscribe_token(reader))
    targets = [f"<{unsubscribe}>"]
    if mailto := current_app.config["MAIL_UNSUBSCRIBE_MAILTO"]:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe%20{reader.id}>")
    text, html = render_email(
        "digest", digest=digest, unsubscribe_url=unsubscribe, figure_rows=figure_rows
    )
    subject = f"{current_app.config['ORG_NAME']} weekly digest: {digest.week.label}"
    headers = {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"Weekly digest <digest.{_list_domain()}>",
    }
    return build_message(address(reader.display_name, reader.email), subject, text, html, headers)


def _list_domain() -> str:
    sender = current_app.config["MAIL_SENDER"]
    return sender.rpartition("@")[2].strip("> ") or "localhost"


def readers() -> list[User]:
    """Active users who want the digest, in a stable order."""
    query = (
        select(User)
        .where(User.digest_opt_in.is_(True), User.is_active_account.is_(True))
        .order_by(User.id)
        .options(selectinload(User.memberships))
    )
    return list(db.session.scalars(query))


def send_digests(
    week: IsoWeek,
    dry_run: bool = False,
    transport: Callable[[EmailMessage], None] = smtp_send,
    sleep: Callable[[float], None] = time.sleep,
) -> RunSummary:
    """Send ``week``'s digest to every reader who has not had it (see the module doc)."""
    summary = RunSummary(week, dry_run)
    run = DigestRun(week, org_zone())  # what readers share is read once
    for reader in readers():
        if not _still_to_send(reader, week, summary):
            continue
        digest = run.compose(reader)
        if not digest.has_content:
            summary.skipped += 1
            db.session.commit()
            continue
        message = digest_message(reader, digest)
        if dry_run:
            summary.sent += 1
            summary.recipients.append(reader.email)
            db.session.rollback()
            continue
        row_id = _claim(reader, week)
        if row_id is None:  # another run has it
            summary.skipped += 1
            continue
        if not _deliver(row_id, message, transport, sleep, summary):
            break
        summary.recipients.append(reader.email)
    db.session.commit()
    return summary


def _still_to_send(reader: User, week: IsoWeek, summary: RunSummary) -> bool:
    """False (counted) for a reader whose digest is sent, failed or being sent elsewhere."""
    row = db.session.scalar(
        select(DigestDelivery).where(
            DigestDelivery.user_id == reader.id, DigestDelivery.week == str(week)
        )
    )
    if row is None or row.status is DeliveryStatus.PENDING:
        return True
    if row.status is DeliveryStatus.SENDING and _lease_over(row.claimed_at):
        _finish(
            row.id, DeliveryStatus.SENDING, status=DeliveryStatus.FAILED, last_error=INTERRUPTED
        )
        summary.failed += 1
    else:
        summary.skipped += 1
    db.session.commit()
    return False


def _lease_over(claimed_at: datetime | None) -> bool:
    return claimed_at is None or utcnow() - claimed_at > SENDING_LEASE


def _claim(reader: User, week: IsoWeek) -> int | None:
    """Make sure the row exists, then take it for this run; None when another run has it."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(DigestDelivery)
        .values(
            user_id=reader.id,
            week=str(week),
            status=DeliveryStatus.PENDING,
            attempts=0,
            last_error="",
            message_id="",
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    row_id = db.session.scalar(
        update(DigestDelivery)
        .where(
            DigestDelivery.user_id == reader.id,
            DigestDelivery.week == str(week),
            DigestDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.SENDING, claimed_at=utcnow())
        .returning(DigestDelivery.id)
    )
    db.session.commit()
    return row_id


def _deliver(
    row_id: int,
    message: EmailMessage,
    transport: Callable[[EmailMessage], None],
    sleep: Callable[[float], None],
    summary: RunSummary,
) -> bool:
    """Try the claimed row's email; record the outcome. False: stop the run (server down)."""
    tries = max(int(current_app.config["MAIL_RETRIES"]), 1)
    delay = float(current_app.config["MAIL_RETRY_DELAY_SECONDS"])
    for attempt in range(1, tries + 1):
        _finish(row_id, DeliveryStatus.SENDING, attempts=DigestDelivery.attempts + 1)
        db.session.commit()
        try:
            transport(message)
        except MailError as error:
            if error.permanent:
                _finish(row_id, status=DeliveryStatus.FAILED, last_error=str(error))
                summary.failed += 1
                db.session.commit()
                return True
            if attempt < tries:
                sleep(delay * 2 ** (attempt - 1))
                continue
            _finish(row_id, status=DeliveryStatus.PENDING, last_error=str(error), claimed_at=None)
            summary.retry_later += 1
            db.session.commit()
            if error.server:
                summary.stopped = f"{error}; the rest stay pending for the next run."
                return False
            return True
        _finish(
            row_id,
            status=DeliveryStatus.SENT,
            sent_at=utcnow(),
            last_error="",
            message_id=message["Message-ID"],
        )
        summary.sent += 1
        db.session.commit()
        return True
    return True  # pragma: no cover  (the loop always returns)


def _finish(
    row_id: int, expected: DeliveryStatus = DeliveryStatus.SENDING, **values: object
) -> None:
    db.session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id == row_id, DigestDelivery.status == expected)
        .values(**values)
    )
