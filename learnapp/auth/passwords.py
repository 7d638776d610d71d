"""Password rules beyond length: the most common passwords are refused.

They are the first an attacker tries against every account, however strong the hash is.
The list ships with the package; ``data/README.md`` says where it came from.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from wtforms import Field, Form
from wtforms.validators import ValidationError

COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt"
COMMON_MESSAGE = (
    "This is one of the most common passwords, so it is among the first an attacker "
    "tries. Please choose another: a few unrelated words make a strong one."
)


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords, lower-case (read once per process)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line)


def is_common(password: str) -> bool:
    """Whether ``password`` is on the common list, ignoring case."""
    return password.lower() in common_passwords()


class NotCommon:
    """WTForms validator: refuse a password from the common list.

    Silent when an earlier validator refused the password already: one message at a time.
    """

    def __call__(self, form: Form, field: Field) -> None:
        if not field.errors and isinstance(field.data, str) and is_common(field.data):
            raise ValidationError(COMMON_MESSAGE)
