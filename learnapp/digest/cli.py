"""``flask --app app digest send [--week YYYY-Www] [--dry-run]`` and ``digest preview``."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from learnapp.digest.compose import compose_digest
from learnapp.digest.run import DigestRun
from learnapp.digest.send import digest_message, readers, send_digests
from learnapp.digest.weeks import IsoWeek, org_zone
from learnapp.extensions import db
from learnapp.models import User, utcnow

digest_cli = AppGroup("digest", help="The weekly digest email.")


def _week(text: str | None) -> IsoWeek:
    """The week asked for, or the one that ended last (Monday's run sends last week's)."""
    if not text:
        return IsoWeek.containing(utcnow(), org_zone()).shifted(-1)
    try:
        return IsoWeek.parse(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--week") from None


@digest_cli.command("send")
@click.option("--week", help="ISO week like 2026-W03; default: the week that just ended.")
@click.option("--dry-run", is_flag=True, help="Compose and count, but send and record nothing.")
def send_command(week: str | None, dry_run: bool) -> None:
    """Send the week's digest to every opted-in reader who has not had it yet."""
    summary = send_digests(_week(week), dry_run=dry_run)
    if dry_run:
        for email in summary.recipients:
            click.echo(f"  would send to {email}")
    click.echo(summary.line())
    if summary.stopped:
        raise SystemExit(1)


@digest_cli.command("preview")
@click.option("--week", help="ISO week like 2026-W03; default: the week that just ended.")
@click.option("--email", help="Print this reader's email (text part and headers).")
def preview_command(week: str | None, email: str | None) -> None:
    """List what each reader's digest holds, or print one reader's email."""
    chosen = _week(week)
    if email:
        reader = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if reader is None:
            raise click.ClickException(f"No account has the email {email}.")
        digest = compose_digest(reader, chosen, org_zone())
        if not digest.has_content:
            click.echo(f"{reader.email} would get no email: nothing in {chosen} is theirs to see.")
            return
        message = digest_message(reader, digest)
        for name in ("Subject", "To", "List-Unsubscribe", "List-Unsubscribe-Post"):
            click.echo(f"{name}: {message[name]}")
        click.echo()
        click.echo(message.get_body(("plain",)).get_content())
        return
    started = time.perf_counter()
    everyone = readers()
    run = DigestRun(chosen, org_zone())
    for reader in everyone:
        d = run.compose(reader)
        state = "email" if d.has_content else "no email (nothing visible)"
        click.echo(
            f"  {reader.email}: {state}; done {len(d.done)}, new {len(d.lessons)} lessons "
            f"and {len(d.incidents)} incidents, narratives {len(d.narratives)}, "
            f"their open items {len(d.my_open)}"
        )
    took = time.perf_counter() - started
    click.echo(f"Digest {chosen}: composed for {len(everyone)} readers in {took:.2f} s.")
