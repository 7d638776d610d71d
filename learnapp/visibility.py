"""Who may be named where: the anonymity rule, for pages, lists, exports and emails alike.

An anonymous entry's author is "a teammate" to everyone but themselves (admins included),
wherever they appear on that entry or on anything hanging from it: as its author, as the
owner or proposer of its improvements, in their status history, in its "no change needed"
mark, on its incident's timeline, responders, analyses, review and narrative. Lists that
pick rows by a person (a history, the backlog's owner filter) leave those rows out, so that
filtering on a person cannot connect them to the entry either.

Python code and templates ask ``person_label`` (or ``shown_person`` for a link); SQL asks
``names_person`` and ``person_name``. Other people on an anonymous entry are named as usual.
"""

from __future__ import annotations

from typing import Protocol

from flask import Flask
from sqlalchemy import ColumnElement, case, literal, or_

from learnapp.models import Entry, User

TEAMMATE = "a teammate"


class _Anonymous(Protocol):
    anonymous: bool
    author_id: int


def hides(entry: _Anonymous, person_id: int | None, viewer_id: int | None) -> bool:
    """Whether naming ``person_id`` beside ``entry`` to the person ``viewer_id`` (None: to
    anyone) would unmask its anonymous author."""
    return (
        entry.anonymous
        and person_id is not None
        and person_id == entry.author_id
        and viewer_id != person_id
    )


def _id(viewer: User | None) -> int | None:
    return None if viewer is None else viewer.id


def shown_person(entry: _Anonymous, person: User | None, viewer: User | None) -> User | None:
    """``person`` as ``viewer`` may know them beside ``entry``: None when they stay unnamed."""
    if person is None or hides(entry, person.id, _id(viewer)):
        return None
    return person


def person_label(entry: _Anonymous, person: User | None, viewer: User | None) -> str:
    """The name to show for ``person`` beside ``entry``: "a teammate" when it would unmask."""
    if person is None:
        return "someone"
    return TEAMMATE if hides(entry, person.id, _id(viewer)) else person.display_name


def names_person(person_id: ColumnElement[int], viewer: User | None) -> ColumnElement[bool]:
    """SQL condition, with ``Entry`` joined: the person in ``person_id`` may be named beside
    the row's entry to ``viewer`` (None: to a reader not known yet, such as a shared list)."""
    allowed = [Entry.anonymous.is_(False), person_id != Entry.author_id]
    if viewer is not None:
        allowed.append(Entry.author_id == viewer.id)
    return or_(*allowed)


def person_name(
    person_id: ColumnElement[int], name: ColumnElement[str], viewer: User | None
) -> ColumnElement[str]:
    """SQL expression, with ``Entry`` joined: ``name``, or "a teammate" where it would unmask."""
    return case((names_person(person_id, viewer), name), else_=literal(TEAMMATE))


def init_app(app: Flask) -> None:
    app.add_template_global(person_label)
    app.add_template_global(shown_person)
