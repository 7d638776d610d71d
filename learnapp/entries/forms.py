"""Forms for writing an entry and for filtering the feed."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, FormField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp, ValidationError

from learnapp.forms import line_field, text_field
from learnapp.idempotency import new_key
from learnapp.incidents.forms import DeclarationFields
from learnapp.models import Entry, Kind, User, Visibility
from learnapp.tags import parse_tags, tags_named
from learnapp.teams import user_team_choices
from learnapp.validation import format_duration, parse_duration

KIND_CHOICES = [
    SelectChoice(Kind.LESSON.value, "Lesson"),
    SelectChoice(Kind.INCIDENT.value, "Incident"),
]
VISIBILITY_CHOICES = [
    SelectChoice(Visibility.ORG.value, "Organisation"),
    SelectChoice(Visibility.TEAM.value, "My team"),
    SelectChoice(Visibility.PRIVATE.value, "Only me"),
]


class EntryForm(FlaskForm):
    """Everything an author can write about an entry; only the title is required."""

    title = line_field("What went wrong, or what did you learn?", 200, required=True)
    kind = RadioField("Kind", choices=KIND_CHOICES, default=Kind.LESSON.value)
    what_happened = text_field("What happened")
    what_we_learned = text_field("What we learned")
    what_we_will_change = text_field("What we will change")
    tags = line_field("Tags", 400, description="Separated by commas, e.g. deploy, database")
    team = SelectField("Team", coerce=int, default=0)
    visibility = RadioField("Who can see it", choices=VISIBILITY_CHOICES, default="org")
    anonymous = BooleanField("Share anonymously (others see “a teammate”)")
    time_lost = line_field("Time lost", 20, description="e.g. 45m, 3h, 1d 2h")

    def __init__(self, author: User, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.team.choices = user_team_choices(author)
        self.parsed_tags: list[str] = []
        self.minutes_lost: int | None = None

    @property
    def has_detail_errors(self) -> bool:
        """Whether a field other than the title has an error (the details must show)."""
        return any(name != "title" for name in self.errors)

    def validate_tags(self, field: StringField) -> None:
        try:
            self.parsed_tags = parse_tags(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def validate_time_lost(self, field: StringField) -> None:
        try:
            self.minutes_lost = parse_duration(field.data)
        except ValueError:
            raise ValidationError("Write it like 45m, 3h or 1d 2h (at most a year).") from None

    def validate_visibility(self, field: RadioField) -> None:
        if field.data == Visibility.TEAM.value and not self.team.data:
            raise ValidationError("Choose a team, or another visibility.")

    def apply_to(self, entry: Entry) -> None:
        """Copy the validated fields onto ``entry`` (never the author or ids)."""
        entry.title = self.title.data
        entry.kind = Kind(self.kind.data)
        entry.what_happened = self.what_happened.data or ""
        entry.what_we_learned = self.what_we_learned.data or ""
        entry.what_we_will_change = self.what_we_will_change.data or ""
        entry.team_id = self.team.data or None
        entry.visibility = Visibility(self.visibility.data)
        entry.anonymous = bool(self.anonymous.data)
        entry.time_lost_minutes = self.minutes_lost
        entry.tags = tags_named(self.parsed_tags)

    def fill_from(self, entry: Entry) -> None:
        """Show ``entry``'s current values (for the edit form)."""
        self.process(obj=entry)
        self.kind.data = entry.kind.value
        self.visibility.data = entry.visibility.value
        self.team.data = entry.team_id or 0
        self.tags.data = ", ".join(t.name for t in entry.tags)
        self.time_lost.data = format_duration(entry.time_lost_minutes)


class NewEntryForm(EntryForm):
    """An entry being created: carries a key that makes a retried submit harmless."""

    idempotency_key = HiddenField(
        validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9-]*$")],
        default=new_key,
    )
    # Offered under "what we will change": on by default, since every lesson should
    # become a repair; ignored when that field is empty.
    track_change = BooleanField("Track it as an improvement I own", default=True)
    # Severity, start, detection and impact: asked for, and checked, only for an incident.
    incident = FormField(DeclarationFields, label="The incident")

    def __init__(self, author: User, *args: object, **kwargs: object) -> None:
        super().__init__(author, *args, **kwargs)
        blank = kwargs.get("formdata", ...) is None or not self.is_submitted()
        if blank and not self.team.data and author.memberships:
            self.team.data = self.team.choices[1].value

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        if self.kind.data == Kind.INCIDENT.value:
            return self.incident.form.check_declared() and valid
        # A lesson: the incident's fields are hidden and unused, so their errors do not count.
        for field in self.incident.form:
            field.errors = []
        return not self.errors


class NewLessonForm(NewEntryForm):
    """A new entry submitted as a lesson, read without the incident's fields.

    A lesson ignores them, so they are not even built: a quick entry is the most frequent
    write, and those fields were a quarter of building its form. To show the form again
    (with its errors), use the whole ``NewEntryForm`` (see ``submitted_entry_form``).
    """

    class Meta:
        # Never shown, so it makes no token for a page; CSRFProtect has already checked
        # this request's (learnapp/extensions.py protects every POST).
        csrf = False

    incident = None  # type: ignore[assignment]  # WTForms leaves a field set to None out

    def validate(self, extra_validators: object = None) -> bool:
        return EntryForm.validate(self, extra_validators)  # type: ignore[arg-type]


def submitted_entry_form(author: User) -> NewEntryForm:
    """The form that reads the submitted new entry: without the incident's fields unless
    its kind is an incident."""
    if request.form.get("kind") == Kind.INCIDENT.value:
        return NewEntryForm(author)
    return NewLessonForm(author)


def entry_form_to_show_again(form: NewEntryForm, author: User) -> NewEntryForm:
    """The refused ``form`` as it is shown again: with every field, what was sent kept."""
    if form.incident is not None:
        return form
    whole = NewEntryForm(author)  # read as a lesson: the incident's fields were left out
    whole.validate()
    return whole


class FeedFilterForm(FlaskForm):
    """The feed's GET filters: kind, team and tag."""

    class Meta:
        csrf = False

    kind = SelectField("Kind", choices=[SelectChoice("", "All kinds"), *KIND_CHOICES], default="")
    team = SelectField("Team", coerce=int, default=0)
    tag = StringField("Tag", validators=[Optional(), Length(max=40)])

    def validate_tag(self, field: StringField) -> None:
        try:
            names = parse_tags(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        field.data = names[0] if names else ""
