"""Forms: declare or promote an incident, resolve it, its timeline, analyses, review,
contributing factors, narrative, and the incident list's filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from learnapp.forms import line_field, text_field
from learnapp.idempotency import new_key
from learnapp.incidents.models import IncidentStatus, ReviewStepName
from learnapp.incidents.severity import severity_choices
from learnapp.incidents.times import LocalDateTimeField
from learnapp.models import FactorCategory, utcnow

# The shared taxonomy of contributing factors (DESIGN.md §2): human and technical.
FACTORS = {
    FactorCategory.HUMAN: [
        "knowledge gap",
        "time pressure",
        "unclear ownership",
        "communication gap",
        "fatigue",
        "unclear procedure",
        "competing priorities",
    ],
    FactorCategory.TECHNICAL: [
        "missing test",
        "alerting gap",
        "config drift",
        "capacity limit",
        "dependency failure",
        "unsafe default",
        "missing safeguard",
        "observability gap",
    ],
}
FACTOR_CHOICES = [
    SelectChoice(
        f"{category.value}:{name}", name.capitalize(), optgroup=f"{category.value.capitalize()}"
    )
    for category, names in FACTORS.items()
    for name in names
]
KEY_FIELD = {"validators": [Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9-]*$")]}


def this_minute() -> Any:
    """Now, to the minute (a ``datetime-local`` input's default)."""
    return utcnow().replace(second=0, microsecond=0)


class DeclarationFields(Form):
    """What declaring an incident asks: severity, when it started and was detected, impact.

    The entry form embeds these (they count only when its kind is "incident"); the
    promote form uses them as they are.
    """

    severity = SelectField("Severity", coerce=int, default=2)
    started_at = LocalDateTimeField("Started", default=this_minute, description="Your time")
    detected_at = LocalDateTimeField("Detected", default=this_minute, description="Your time")
    impact = text_field(
        "Impact", 5_000, description="Optional: who was affected and how (Markdown)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.severity.choices = severity_choices()

    def check_declared(self) -> bool:
        """Require the times and their order (the fields alone accept blanks)."""
        ok = True
        for field in (self.started_at, self.detected_at):
            if field.data is None and not field.errors:
                field.errors = [*field.errors, "Please give a date and time."]
            ok = ok and not field.errors
        started, detected = self.started_at.data, self.detected_at.data
        if started and detected and detected < started:
            self.detected_at.errors = [*self.detected_at.errors, "Detection comes after the start."]
            ok = False
        return ok and not self.severity.errors and not self.impact.errors

    def values(self) -> dict[str, Any]:
        """The validated declaration, as Incident attributes."""
        return {
            "severity": self.severity.data,
            "started_at": self.started_at.data,
            "detected_at": self.detected_at.data,
            "impact": self.impact.data or "",
        }


class PromoteForm(FlaskForm, DeclarationFields):
    """Turn a lesson into an incident."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self.check_declared() and valid


class StatusForm(FlaskForm):
    """One move of an incident's status; resolving asks when it was resolved."""

    to = SelectField(choices=[s.value for s in IncidentStatus if s is not IncidentStatus.PUBLISHED])
    expected = SelectField(choices=[s.value for s in IncidentStatus])
    resolved_at = LocalDateTimeField("Resolved at", default=this_minute, description="Your time")

    def __init__(self, *args: Any, started_at: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started_at = started_at

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.to.data != IncidentStatus.RESOLVED.value or self.resolved_at.errors:
            return valid
        resolved = self.resolved_at.data
        if resolved is None:
            self.resolved_at.errors = ["Please give a date and time."]
        elif self.started_at is not None and resolved < self.started_at:
            self.resolved_at.errors = ["It was resolved after it started: check the time."]
        return valid and not self.resolved_at.errors


class EventForm(FlaskForm):
    """A key event of the timeline: when, and what happened."""

    occurred_at = LocalDateTimeField("When", required=True, default=this_minute)
    text = line_field("What happened", 500, required=True)


class NewEventForm(EventForm):
    idempotency_key = HiddenField(default=new_key, **KEY_FIELD)


class AnalysisForm(FlaskForm):
    """One responder's own account."""

    saw_and_did = text_field("What I saw and did", description="Markdown")
    surprised = text_field("What surprised me")
    themes = text_field("Themes", 2_000, description="e.g. alert noise, unclear runbook")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not (self.saw_and_did.data or self.surprised.data or self.themes.data):
            self.saw_and_did.errors = ["Write at least what you saw and did."]
            return False
        return valid


class ReviewNotesForm(FlaskForm):
    """The review's shared understanding and most valuable learnings."""

    summary = text_field(
        "Shared understanding", description="What happened, as the team now sees it"
    )
    learnings = text_field("Most valuable learnings", description="Markdown, one per line")


class StepForm(FlaskForm):
    """Tick or untick one step of the review checklist."""

    step = SelectField(choices=[s.value for s in ReviewStepName])
    done = SelectField(choices=["1", "0"])


class FactorForm(FlaskForm):
    """A contributing factor from the shared taxonomy, with a note."""

    factor = SelectField("Factor", choices=FACTOR_CHOICES, validators=[DataRequired()])
    note = line_field("Note", 1_000, description="How it contributed here")

    def category_and_name(self) -> tuple[FactorCategory, str]:
        category, _, name = self.factor.data.partition(":")
        return FactorCategory(category), name

    def validate_factor(self, field: SelectField) -> None:
        category, _, name = (field.data or "").partition(":")
        if category not in FactorCategory.__members__.values() or name not in FACTORS.get(
            FactorCategory(category), []
        ):
            raise ValidationError("Choose a factor from the list.")


class NarrativeForm(FlaskForm):
    """The narrative draft: save it, preview it, or start again from the review."""

    # Not "narrative": the section that holds the form has that id.
    draft = text_field("Narrative", description="Markdown")
    action = SelectField(choices=["save", "preview", "assemble"], default="save")


class IncidentFilterForm(FlaskForm):
    """The incident list's GET filters."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            *[SelectChoice(s.value, s.label) for s in IncidentStatus],
        ],
        default="",
    )
    severity = SelectField("Severity", coerce=int, default=0)
    team = SelectField("Team", coerce=int, default=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        levels = [SelectChoice(c.value, f"SEV{c.value}") for c in severity_choices()]
        self.severity.choices = [SelectChoice(0, "Any severity"), *levels]
