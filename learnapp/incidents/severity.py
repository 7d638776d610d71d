"""Severity labels: SEV1 to SEV4 with their one-line meanings, from configuration."""

from __future__ import annotations

from flask import current_app
from wtforms.fields.choices import SelectChoice

from learnapp.incidents.models import SEVERITIES


def parse_labels(text: str) -> dict[int, str]:
    """The meanings in ``SEVERITY_LABELS`` by level; ValueError unless there are four."""
    meanings = [part.strip() for part in text.split("|")]
    if len(meanings) != len(SEVERITIES) or not all(meanings):
        raise ValueError(
            "SEVERITY_LABELS needs four one-line meanings (SEV1 to SEV4) separated by |"
        )
    return dict(zip(SEVERITIES, meanings, strict=True))


def severity_labels() -> dict[int, str]:
    """This installation's meaning of each severity level."""
    return parse_labels(current_app.config["SEVERITY_LABELS"])


def severity_meaning(level: int) -> str:
    return severity_labels().get(level, "")


def severity_choices() -> list[SelectChoice]:
    """Severity options for a select: "SEV2 — Major: …"."""
    return [
        SelectChoice(level, f"SEV{level} — {text}") for level, text in severity_labels().items()
    ]
