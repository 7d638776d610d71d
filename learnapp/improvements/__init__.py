"""Improvements: add from an entry, move along the flow, the backlog, figures and CSV export.

Like every feature package, this one defines its blueprint and imports nothing else:
``create_app`` imports the views (``ROUTE_MODULES``), so other features may use these
models and queries without import cycles.
"""

from flask import Blueprint

bp = Blueprint("improvements", __name__)
