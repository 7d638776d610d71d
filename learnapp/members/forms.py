"""The form that adds an existing person to a team."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import ValidationError

from learnapp.choices import active_people
from learnapp.models import Team


class AddMemberForm(FlaskForm):
    """Someone active who is not in ``team`` yet (the choices)."""

    person = SelectField("Person", coerce=int, validate_choice=False)

    def __init__(self, team: Team, member_ids: set[int], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        self.member_ids = member_ids
        self.person.choices = [p for p in active_people().options if p.value not in member_ids]

    def validate_person(self, field: SelectField) -> None:
        if field.data in self.member_ids:
            raise ValidationError(f"This person is in {self.team.name} already.")
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choose someone from the list.")
