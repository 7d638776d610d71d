"""The improvements section of the entry page: its items, its forms."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from learnapp.celebrate.counts import improvement_cheer_options
from learnapp.extensions import db
from learnapp.improvements.forms import NewImprovementForm, NoChangeForm
from learnapp.improvements.models import Improvement
from learnapp.improvements.queries import possible_owners
from learnapp.models import Entry


def section_context(entry: Entry, form: NewImprovementForm | None = None, **extra: Any) -> dict:
    """What the entry page's improvements section shows (also used by the entry page)."""
    improvements = db.session.scalars(
        select(Improvement)
        .where(Improvement.entry_id == entry.id)
        .options(joinedload(Improvement.owner), *improvement_cheer_options(current_user))
        .order_by(Improvement.created_at, Improvement.id)
    ).all()
    set_committed_value(entry, "improvements", list(improvements))
    if form is None:
        form = NewImprovementForm(possible_owners(entry), formdata=None)
        form.owner.data = current_user.id
    no_change_form = extra.pop("no_change_form", None) or NoChangeForm(formdata=None)
    return {"entry": entry, "improvement_form": form, "no_change_form": no_change_form, **extra}
