"""Incidents: declare, keep a timeline, resolve, analyse, review and publish a narrative."""

from flask import Blueprint

bp = Blueprint("incidents", __name__)

from learnapp.incidents import models  # noqa: E402, F401  (tables register on import)
