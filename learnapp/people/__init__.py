"""Personal lesson history: a person's entries by month, their improvements, figures, export."""

from flask import Blueprint

bp = Blueprint("people", __name__)
