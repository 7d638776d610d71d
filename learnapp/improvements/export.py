"""The backlog as CSV for a tracker's import, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from learnapp.improvements.models import Improvement
from learnapp.visibility import hides

COLUMNS = [
    "Summary",
    "Description",
    "Issue Type",
    "Priority",
    "Assignee email",
    "Labels",
    "Due date",
    "Status",
    "External reference",
    "learnapp link",
]
TRACKER_PRIORITY = {1: "High", 2: "Medium", 3: "Low"}
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
# Full-width forms too: some spreadsheets fold them to ASCII before parsing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(cell: str) -> str:
    """``cell`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def row_for(improvement: Improvement, link: str, viewer_id: int) -> list[str]:
    """One improvement as a tracker row for the person ``viewer_id``: labels carry the type
    and the entry's tags; no assignee where naming the owner would unmask an anonymous entry."""
    entry = improvement.entry
    hidden_owner = hides(entry, improvement.owner_id, viewer_id)
    origin = f"From the lesson “{entry.title}”: {link}"
    description = f"{improvement.details}\n\n{origin}" if improvement.details else origin
    labels = ["learnapp", improvement.type.value, *(tag.name for tag in entry.tags)]
    cells = [
        improvement.title,
        description,
        "Task",
        TRACKER_PRIORITY[improvement.priority],
        "" if hidden_owner else improvement.owner.email,
        " ".join(labels),
        improvement.due_date.isoformat() if improvement.due_date else "",
        improvement.status.label,
        improvement.external_ref,
        link,
    ]
    return [neutralise(cell) for cell in cells]


def csv_lines(
    improvements: Iterable[Improvement], link_for: Callable[[Improvement], str], viewer_id: int
) -> Iterator[str]:
    """The CSV text, header first, a line at a time (streamed to the browser)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for improvement in improvements:
        writer.writerow(row_for(improvement, link_for(improvement), viewer_id))
        yield flush()
