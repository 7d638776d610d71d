"""Sending a week's digest against a real SMTP server: once per reader, never twice, retried
when the server says "later", recorded when it says "never", resumed after a crash."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from learnapp.digest.models import DeliveryStatus, DigestDelivery
from learnapp.digest.send import INTERRUPTED, send_digests
from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.mail import send_message
from learnapp.models import User, Visibility
from tests.conftest import make_app
from tests.digest.conftest import closed_port

WEEK = IsoWeek(2026, 10)
IN_WEEK = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def week_of_activity(people, make_entry):
    """One organisation lesson everyone sees, and a private one only its author sees."""
    make_entry(people["author"], title="Everyone sees this", created_at=IN_WEEK)
    make_entry(
        people["author"], title="Mine alone", visibility=Visibility.PRIVATE, created_at=IN_WEEK
    )
    return people


def deliveries() -> dict[str, tuple[str, int]]:
    """email -> (status, attempts) of every delivery row, fresh from the database."""
    db.session.expire_all()
    rows = db.session.execute(
        select(User.email, DigestDelivery.status, DigestDelivery.attempts).join(DigestDelivery.user)
    ).all()
    db.session.commit()
    return {email: (status.value, attempts) for email, status, attempts in rows}


def no_sleep(waits: list[float] | None = None):
    return waits.append if waits is not None else lambda seconds: None


def test_every_opted_in_reader_gets_one_email_and_a_second_run_sends_nothing(
    mailbox, week_of_activity
):
    people = week_of_activity
    people["lead"].digest_opt_in = False
    people["other_lead"].is_active_account = False
    db.session.commit()

    first = send_digests(WEEK, sleep=no_sleep())
    second = send_digests(WEEK, sleep=no_sleep())

    expected = {p.email for n, p in people.items() if n not in ("lead", "other_lead")}
    assert sorted(r.recipients[0] for r in mailbox.received) == sorted(expected)
    assert (first.sent, first.failed, first.retry_later) == (len(expected), 0, 0)
    assert (second.sent, second.skipped) == (0, len(expected))
    assert set(deliveries().values()) == {("sent", 1)}
    assert second.line() == (
        f"Digest 2026-W10: sent 0, skipped {len(expected)}, failed 0, to retry next run 0."
    )


def test_a_reader_with_nothing_visible_gets_no_email(mailbox, people, make_entry):
    make_entry(people["author"], visibility=Visibility.TEAM, created_at=IN_WEEK)

    summary = send_digests(WEEK, sleep=no_sleep())

    platform = {p.email for p in people.values() if p.team_ids == people["author"].team_ids}
    assert {r.recipients[0] for r in mailbox.received} == platform
    assert summary.skipped == len(people) - len(platform)


def test_a_dry_run_sends_and_records_nothing(mailbox, week_of_activity):
    summary = send_digests(WEEK, dry_run=True, sleep=no_sleep())

    assert summary.sent == len(week_of_activity)
    assert summary.line().startswith("Digest 2026-W10: would send 7,")
    assert mailbox.received == []
    assert deliveries() == {}


def test_two_runs_at_once_never_send_anyone_two_emails(mail_app, mailbox, week_of_activity):
    # Two senders, each with its own app, engine and connections, on one database.
    url = mail_app.config["DATABASE_URL"]
    apps = [make_app(url, **{k: v for k, v in mail_app.config.items() if k.startswith("MAIL_")})]
    apps.append(
        make_app(url, **{k: v for k, v in mail_app.config.items() if k.startswith("MAIL_")})
    )
    start = threading.Barrier(2)
    results, errors = [], []

    def run(app):
        try:
            with app.app_context():
                start.wait()
                results.append(send_digests(WEEK, sleep=no_sleep()))
                db.session.remove()
                db.engine.dispose()
        except Exception as error:  # reported below, with the test's own assertion
            errors.append(error)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    recipients = [r.recipients[0] for r in mailbox.received]
    assert sorted(recipients) == sorted(p.email for p in week_of_activity.values())
    assert sum(r.sent for r in results) == len(week_of_activity)
    assert set(deliveries().values()) == {("sent", 1)}


def test_a_transient_refusal_is_retried_with_growing_waits_then_delivered(
    mailbox, week_of_activity
):
    teammate = week_of_activity["teammate"].email
    mailbox.refuse_rcpt[teammate] = ["451 4.3.0 Try again later", "421 4.7.0 Busy, closing"]
    waits: list[float] = []

    summary = send_digests(WEEK, sleep=no_sleep(waits))

    assert len(mailbox.to(teammate)) == 1
    assert waits == [1.0, 2.0]
    assert deliveries()[teammate] == ("sent", 3)
    assert summary.sent == len(week_of_activity)


def test_a_transient_refusal_that_outlasts_the_retries_is_recorded_and_sent_next_run(
    mail_app, mailbox, week_of_activity
):
    teammate = week_of_activity["teammate"].email
    mailbox.refuse_rcpt[teammate] = ["452 4.2.2 Mailbox full"] * 3

    first = send_digests(WEEK, sleep=no_sleep())
    row = db.session.scalar(
        select(DigestDelivery).join(DigestDelivery.user).where(User.email == teammate)
    )
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 3)
    assert "452" in row.last_error and "Mailbox full" in row.last_error
    assert (first.sent, first.retry_later) == (len(week_of_activity) - 1, 1)
    db.session.commit()

    second = send_digests(WEEK, sleep=no_sleep())

    assert (second.sent, second.skipped) == (1, len(week_of_activity) - 1)
    assert len(mailbox.to(teammate)) == 1
    assert deliveries()[teammate] == ("sent", 4)


def test_a_permanent_refusal_is_recorded_and_the_others_still_get_theirs(mailbox, week_of_activity):
    teammate = week_of_activity["teammate"].email
    mailbox.refuse_rcpt[teammate] = ["550 5.1.1 No such user"]

    summary = send_digests(WEEK, sleep=no_sleep())
    again = send_digests(WEEK, sleep=no_sleep())

    assert (summary.sent, summary.failed) == (len(week_of_activity) - 1, 1)
    assert mailbox.to(teammate) == []
    assert len(mailbox.received) == len(week_of_activity) - 1
    row = db.session.scalar(
        select(DigestDelivery).join(DigestDelivery.user).where(User.email == teammate)
    )
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert "550 5.1.1 No such user" in row.last_error
    assert again.sent == 0  # a permanent failure is not retried


def test_with_the_smtp_server_down_nothing_is_lost_and_the_next_run_delivers(
    mail_app, mailbox, week_of_activity
):
    port = mail_app.config["MAIL_PORT"]
    mail_app.config["MAIL_PORT"] = closed_port()
    waits: list[float] = []

    down = send_digests(WEEK, sleep=no_sleep(waits))

    assert (down.sent, down.retry_later) == (0, 1)
    assert "the rest stay pending" in down.stopped
    assert waits == [1.0, 2.0]  # one reader's tries, then the run stops: no 7 x backoff
    assert mailbox.received == []

    mail_app.config["MAIL_PORT"] = port
    back = send_digests(WEEK, sleep=no_sleep())

    assert back.sent == len(week_of_activity)
    assert sorted(r.recipients[0] for r in mailbox.received) == sorted(
        p.email for p in week_of_activity.values()
    )


class Crash(BaseException):
    """Stands for the process being killed (not an Exception: nothing may catch it)."""


def test_a_run_killed_midway_resumes_and_never_sends_anyone_twice(mailbox, week_of_activity):
    calls = []

    def dies_on_the_third(message):
        calls.append(message["To"])
        if len(calls) == 3:
            raise Crash
        send_message(message)

    with pytest.raises(Crash):
        send_digests(WEEK, transport=dies_on_the_third, sleep=no_sleep())
    db.session.rollback()
    after_crash = deliveries()
    assert sorted(after_crash.values()) == [("sending", 1), ("sent", 1), ("sent", 1)]
    assert len(mailbox.received) == 2

    resumed = send_digests(WEEK, sleep=no_sleep())

    # The interrupted one is another run's until its lease ends; every other reader is sent.
    assert (resumed.sent, resumed.skipped) == (len(week_of_activity) - 3, 3)
    interrupted = next(email for email, (status, _) in after_crash.items() if status == "sending")
    db.session.execute(
        DigestDelivery.__table__.update()
        .values(claimed_at=IN_WEEK - timedelta(days=1))
        .where(DigestDelivery.status == DeliveryStatus.SENDING)
    )
    db.session.commit()

    later = send_digests(WEEK, sleep=no_sleep())

    assert (later.sent, later.failed) == (0, 1)
    row = db.session.scalar(
        select(DigestDelivery).join(DigestDelivery.user).where(User.email == interrupted)
    )
    assert (row.status, row.last_error) == (DeliveryStatus.FAILED, INTERRUPTED)
    recipients = [r.recipients[0] for r in mailbox.received]
    assert len(recipients) == len(set(recipients)) == len(week_of_activity) - 1


def test_the_send_command_prints_a_summary_and_refuses_an_impossible_week(
    mail_app, mailbox, people
):
    result = mail_app.test_cli_runner().invoke(args=["digest", "send", "--week", "2026-W10"])

    assert result.exit_code == 0, result.output
    assert "Digest 2026-W10: sent 0, skipped 7, failed 0, to retry next run 0." in result.output

    bad = mail_app.test_cli_runner().invoke(args=["digest", "send", "--week", "2027-W53"])
    assert bad.exit_code != 0 and "2027-W53" in bad.output


def test_the_send_command_fails_when_the_server_is_down(mail_app, mailbox, week_of_activity):
    mail_app.config["MAIL_PORT"] = closed_port()
    mail_app.config["MAIL_RETRIES"] = 1

    result = mail_app.test_cli_runner().invoke(args=["digest", "send", "--week", "2026-W10"])

    assert result.exit_code == 1
    assert "Stopped early" in result.output and "Connection refused" in result.output


def test_the_preview_command_lists_readers_and_prints_one_email(
    mail_app, mailbox, week_of_activity
):
    runner = mail_app.test_cli_runner()
    listing = runner.invoke(args=["digest", "preview", "--week", "2026-W10"])
    one = runner.invoke(
        args=["digest", "preview", "--week", "2026-W10", "--email", "author@example.com"]
    )

    assert "author@example.com: email" in listing.output
    assert "composed for 7 readers" in listing.output
    assert (
        "Mine alone" in one.output
        and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in one.output
    )
    assert mailbox.received == []


def test_the_run_reads_weeks_on_the_organisations_calendar(mail_app, mailbox, people, make_entry):
    mail_app.config["ORG_TIMEZONE"] = "Australia/Sydney"
    # Sunday 1 March 2026, 14:00 UTC is already Monday 2 March (week 10) in Sydney.
    make_entry(
        people["author"], title="Monday in Sydney", created_at=datetime(2026, 3, 1, 14, tzinfo=UTC)
    )

    send_digests(IsoWeek(2026, 9), sleep=no_sleep())
    assert mailbox.received == []
    send_digests(WEEK, sleep=no_sleep())

    (email,) = mailbox.to(people["teammate"].email)
    assert "Monday in Sydney" in email.message.get_body(("plain",)).get_content()
