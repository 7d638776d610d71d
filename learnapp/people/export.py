"""Export your own lesson history, as Markdown or CSV (never someone else's)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Response
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from learnapp.extensions import db
from learnapp.formatting import localtime, timespan, viewer_today
from learnapp.improvements.export import neutralise
from learnapp.mail import external_url
from learnapp.models import Entry
from learnapp.people import bp

CSV_COLUMNS = [
    "Date",
    "Kind",
    "Title",
    "What happened",
    "What we learned",
    "What we will change",
    "Tags",
    "Team",
    "Visibility",
    "Anonymous",
    "Improvements",
    "Link",
]


def own_entries() -> list[Entry]:
    """Every entry the signed-in person wrote, oldest first, deleted ones aside."""
    return list(
        db.session.scalars(
            select(Entry)
            .where(Entry.author_id == current_user.id, Entry.deleted_at.is_(None))
            .order_by(Entry.created_at, Entry.id)
            .options(
                selectinload(Entry.tags),
                selectinload(Entry.improvements),
                selectinload(Entry.team),
            )
        )
    )


def _download(body: str, mimetype: str, extension: str) -> Response:
    filename = f"my-lessons-{viewer_today().isoformat()}.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/me/history.md")
@login_required
def export_markdown() -> Response:
    return _download(markdown_history(own_entries()), "text/markdown", "md")


VISIBLE_TO = {"org": "the organisation", "team": "the team", "private": "me only"}


def markdown_history(entries: list[Entry]) -> str:
    """The signed-in person's entries as one Markdown document, oldest first.

    Built here rather than in a template: templates escape HTML, and this is Markdown.
    """
    lines = [
        f"# Lessons of {current_user.display_name}",
        "",
        f"Exported from learnapp on {viewer_today().isoformat()}: {len(entries)} entries.",
    ]
    for entry in entries:
        facts = [entry.kind.value.capitalize(), localtime(entry.created_at)]
        facts += [entry.team.name] if entry.team else []
        facts.append(f"visible to {VISIBLE_TO[entry.visibility.value]}")
        facts += ["shared anonymously"] if entry.anonymous else []
        lines += ["", f"## {entry.title}", "", f"*{', '.join(facts)}*"]
        if entry.tags:
            lines += ["", "Tags: " + ", ".join(tag.name for tag in entry.tags)]
        stories = [
            ("What happened", entry.what_happened),
            ("What we learned", entry.what_we_learned),
            ("What we will change", entry.what_we_will_change),
        ]
        for heading, story in stories:
            if story:
                lines += ["", f"### {heading}", "", story]
        if entry.improvements:
            lines += ["", "### Improvements", ""]
            for improvement in entry.improvements:
                lead = improvement.lead_time
                took = f", idea to practice in {timespan(lead)}" if lead else ""
                lines.append(f"- {improvement.title} ({improvement.status.label}{took})")
    return "\n".join(lines) + "\n"


def csv_rows(entries: list[Entry]) -> Iterator[list[str]]:
    """One row per entry; improvements as "title (status)" joined by semicolons."""
    for entry in entries:
        improvements = "; ".join(f"{i.title} ({i.status.label})" for i in entry.improvements)
        cells = [
            localtime(entry.created_at, "%Y-%m-%d %H:%M"),
            entry.kind.value,
            entry.title,
            entry.what_happened,
            entry.what_we_learned,
            entry.what_we_will_change,
            " ".join(tag.name for tag in entry.tags),
            entry.team.name if entry.team else "",
            entry.visibility.value,
            "yes" if entry.anonymous else "no",
            improvements,
            external_url("entries.show_entry", entry_id=entry.id),
        ]
        yield [neutralise(cell) for cell in cells]


@bp.get("/me/history.csv")
@login_required
def export_csv() -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(own_entries()))
    return _download(buffer.getvalue(), "text/csv", "csv")
