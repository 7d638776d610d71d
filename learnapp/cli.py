"""Command-line tasks: ``flask --app app seed-demo``, ``create-user``, ``backup``,
``markdown rerender`` and ``digest`` (send and preview; in ``learnapp/digest/cli.py``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from learnapp.auth.forms import MIN_PASSWORD
from learnapp.auth.names import NAME_TAKEN, commit_unless_name_taken, name_problem
from learnapp.auth.passwords import COMMON_MESSAGE, is_common
from learnapp.backup import BackupError, backup_database
from learnapp.extensions import db
from learnapp.markdown import RENDERER_VERSION, rerender_stale
from learnapp.models import Entry, User
from learnapp.security import hash_password

markdown_cli = AppGroup("markdown", help="The HTML stored beside every Markdown text.")


@markdown_cli.command("rerender")
def rerender_markdown() -> None:
    """Render again the rows that an older version of the renderer rendered."""
    counts = rerender_stale(db.session)
    click.echo(
        f"Rendered again with renderer version {RENDERER_VERSION}: "
        + ", ".join(f"{count} {table}" for table, count in counts.items())
        + "."
    )


def init_app(app: Flask) -> None:
    from learnapp.digest.cli import digest_cli

    app.cli.add_command(digest_cli)

    app.cli.add_command(markdown_cli)

    @app.cli.command("seed-demo")
    @click.option("--force", is_flag=True, help="Seed even when entries exist.")
    def seed_demo(force: bool) -> None:
        """Fill an empty database with a demo organisation and print the demo login."""
        from learnapp import demo

        if not force and db.session.scalar(select(func.count(Entry.id))):
            click.echo("The database has entries already; demo data not added.")
        else:
            demo.seed()
            click.echo("Demo data added.")
        click.echo(f"Demo login: {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}")

    @app.cli.command("create-user")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt="Display name")
    @click.option("--admin", is_flag=True, help="Make the user an admin.")
    @click.password_option()
    def create_user(email: str, name: str, admin: bool, password: str) -> None:
        """Create an account (for example the first admin of a production install)."""
        email, name = email.strip().lower(), name.strip()
        if db.session.scalar(select(User).where(User.email == email)):
            raise click.ClickException(f"{email} has an account already.")
        if not 0 < len(name) <= 80:
            raise click.ClickException("Give a display name of 1 to 80 characters.")
        if problem := name_problem(name):
            raise click.ClickException(problem)
        if len(password) < MIN_PASSWORD:
            raise click.ClickException(f"Use a password of at least {MIN_PASSWORD} characters.")
        if is_common(password):
            raise click.ClickException(COMMON_MESSAGE)
        db.session.add(
            User(
                email=email,
                display_name=name,
                password_hash=hash_password(password),
                is_admin=admin,
            )
        )
        if not commit_unless_name_taken():
            raise click.ClickException(NAME_TAKEN)
        click.echo(f"Created {email}{' (admin)' if admin else ''}.")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
    def backup(path: Path, force: bool) -> None:
        """Copy the SQLite database to PATH while the app keeps running."""
        try:
            made = backup_database(db.engine.url, path, force=force)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Wrote {made.path} ({made.size_bytes:,} bytes, integrity check ok).")
        click.echo("Rows per table:")
        width = max(map(len, made.rows), default=0)
        for table, count in made.rows.items():
            click.echo(f"  {table:<{width}}  {count:>8,}")
