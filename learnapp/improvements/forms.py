"""Forms: propose or edit an improvement, move it, mark an entry, and filter the backlog."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp, ValidationError

from learnapp.choices import People
from learnapp.forms import line_field, text_field
from learnapp.idempotency import new_key
from learnapp.improvements.models import PRIORITIES, Improvement, ImprovementType, Status
from learnapp.improvements.writing import REOPEN
from learnapp.models import User
from learnapp.parsing import InCalendar

TYPE_CHOICES = [SelectChoice(t.value, t.label) for t in ImprovementType]
PRIORITY_LABELS = {1: "P1 — urgent", 2: "P2 — soon", 3: "P3 — when we can"}
PRIORITY_CHOICES = [SelectChoice(p, PRIORITY_LABELS[p]) for p in PRIORITIES]
KEEP_OWNER, KEEP_LABEL = 0, "A teammate (unchanged)"  # no person has the id 0


def is_link(reference: str) -> bool:
    """Whether an external reference is a web address (shown as a link) or a tracker key."""
    return reference.startswith(("https://", "http://")) and " " not in reference


class ImprovementForm(FlaskForm):
    """The fields of an improvement; only the title is required."""

    title = line_field("What will change?", 200, required=True)
    details = text_field("Details", description="Markdown")
    type = SelectField("Type", choices=TYPE_CHOICES, default=ImprovementType.PROCESS.value)
    owner = SelectField("Owner", coerce=int)
    priority = SelectField("Priority", coerce=int, choices=PRIORITY_CHOICES, default=2)
    due_date = DateField("Due date", validators=[Optional(), InCalendar()])
    external_ref = line_field(
        "Tracker reference", 300, description="A key such as OPS-123, or a link"
    )

    def __init__(
        self, owners: list[User], *args: object, unnamed_owner: int | None = None, **kwargs: object
    ) -> None:
        """``unnamed_owner``: the owner's id when naming them would unmask an anonymous entry's
        author; the form then offers "a teammate (unchanged)" in their place."""
        super().__init__(*args, **kwargs)
        self.unnamed_owner = unnamed_owner
        self.owner.choices = (
            owners.options
            if isinstance(owners, People)
            else [SelectChoice(u.id, u.display_name) for u in owners]
        )
        if unnamed_owner is not None:
            self.owner.choices = [SelectChoice(KEEP_OWNER, KEEP_LABEL), *self.owner.choices]

    def validate_owner(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choose someone who can see this entry.")

    def values(self) -> dict[str, object]:
        """The validated fields, as Improvement attributes (never ids beyond the owner's)."""
        return {
            "title": self.title.data,
            "details": self.details.data or "",
            "type": ImprovementType(self.type.data),
            "owner_id": (
                self.unnamed_owner
                if self.unnamed_owner is not None and self.owner.data == KEEP_OWNER
                else self.owner.data
            ),
            "priority": self.priority.data,
            "due_date": self.due_date.data,
            "external_ref": self.external_ref.data or "",
        }

    def fill_from(self, improvement: Improvement) -> None:
        self.process(obj=improvement)
        self.type.data = improvement.type.value
        self.owner.data = KEEP_OWNER if self.unnamed_owner is not None else improvement.owner_id


class NewImprovementForm(ImprovementForm):
    """A proposal: carries a key that makes a resent form harmless."""

    idempotency_key = HiddenField(
        validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9-]*$")], default=new_key
    )


MOVE_CHOICES = [SelectChoice(s.value, s.label) for s in Status if s is not Status.PROPOSED]
RETURN_CHOICES = ["entry", "backlog", "improvement"]


class StatusForm(FlaskForm):
    """One move along the flow: to a status, or reopen; dropping needs a reason."""

    to = SelectField(choices=[*MOVE_CHOICES, SelectChoice(REOPEN, "Reopen")])
    expected = SelectField(choices=[SelectChoice(s.value, s.label) for s in Status])
    reason = line_field("Why drop it?", 500)
    return_to = SelectField(choices=RETURN_CHOICES, default="improvement")

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        # Not a validate_reason method: the field's Optional() would stop it when empty.
        if self.to.data == Status.DROPPED.value and not self.reason.data:
            self.reason.errors = [*self.reason.errors, "Say why it is dropped, so others know."]
            return False
        return valid


class NoChangeForm(FlaskForm):
    """Mark an entry as needing no improvement."""

    reason = line_field(
        "Why is no change needed?",
        500,
        required=True,
        description="e.g. a one-off, already covered by an existing check",
    )


class BacklogFilterForm(FlaskForm):
    """The backlog's GET filters, sort and period."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[
            SelectChoice("open", "Open"),
            *[SelectChoice(s.value, s.label) for s in Status],
            SelectChoice("all", "Any status"),
        ],
        default="open",
    )
    owner = SelectField("Owner", default="")
    team = SelectField("Team", coerce=int, default=0)
    type = SelectField("Type", choices=[SelectChoice("", "Any type"), *TYPE_CHOICES], default="")
    overdue = BooleanField("Overdue only")
    sort = SelectField(
        "Sort by",
        choices=[
            SelectChoice("priority", "Priority"),
            SelectChoice("age", "Age (oldest first)"),
            SelectChoice("due", "Due date"),
        ],
        default="priority",
    )
    since = DateField("From", validators=[Optional(), InCalendar()])
    until = DateField("To", validators=[Optional(), InCalendar()])

    def __init__(self, people: list[User], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.owner.choices = [
            SelectChoice("", "Anyone"),
            SelectChoice("me", "Me"),
            *(
                people.text_options
                if isinstance(people, People)
                else [SelectChoice(str(u.id), u.display_name) for u in people]
            ),
        ]

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end comes before the start.")
