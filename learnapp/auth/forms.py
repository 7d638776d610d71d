"""Forms for registering, logging in and settings."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from learnapp.auth.names import name_problem
from learnapp.auth.passwords import NotCommon
from learnapp.forms import line_field, timezone_choices
from learnapp.validation import PlainText, strip_filter

MIN_PASSWORD = 10
MAX_PASSWORD = 256


def _email_field() -> EmailField:
    return EmailField(
        "Email",
        validators=[
            DataRequired(message="Please give your email address."),
            Length(max=254, message="That email address is too long."),
            PlainText(),
            Email(message="That does not look like an email address.", check_deliverability=False),
        ],
        filters=[strip_filter, lambda v: v.lower() if isinstance(v, str) else v],
    )


def _password_field(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Please give a password."),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=f"Use between {MIN_PASSWORD} and {MAX_PASSWORD} characters.",
            ),
            PlainText(),
            NotCommon(),
        ],
    )


class RegisterForm(FlaskForm):
    """A new account. It joins no team: an admin or a team's lead adds people, or invites
    them to a team (learnapp.teams)."""

    display_name = line_field("Your name", 80, required=True)
    email = _email_field()
    password = _password_field()

    def validate_display_name(self, field: StringField) -> None:
        if problem := name_problem(field.data):
            raise ValidationError(problem)

    def validate_email(self, field: EmailField) -> None:
        allowed = current_app.config["SIGNUP_DOMAINS"]
        domains = {d.strip().lower().lstrip("@") for d in allowed.split(",") if d.strip()}
        if domains and field.data.rpartition("@")[2] not in domains:
            raise ValidationError("Sign-up is open to " + ", ".join(sorted(domains)) + " only.")


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        "Password", validators=[DataRequired(message="Please give your password."), PlainText()]
    )
    remember = BooleanField("Keep me signed in on this device")


class SettingsForm(FlaskForm):
    display_name = line_field("Display name", 80, required=True)
    timezone = SelectField("Timezone", validate_choice=True)
    digest_opt_in = BooleanField("Send me the weekly digest")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_display_name(self, field: StringField) -> None:
        if problem := name_problem(field.data, current_user.id):
            raise ValidationError(problem)


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class InviteForm(FlaskForm):
    """An invitation by email to the team whose members page it is on."""

    email = _email_field()


class AdminInviteForm(InviteForm):
    """An admin's invitation: to a team, or with "No team" (0) to an account alone; the
    view sets ``team``'s choices."""

    team = SelectField("Team", coerce=int, default=0, validate_choice=True)


class ResetPasswordForm(FlaskForm):
    password = _password_field("New password")


class InvitedRegisterForm(RegisterForm):
    """Registration through an invitation: the email is the invited one, so the sign-up
    domains do not apply (the view sets it; nothing submitted can change it)."""

    def validate_email(self, field: EmailField) -> None:
        return None
