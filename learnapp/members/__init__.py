"""Team members: a team's page for its leads and admins (add, remove, make lead, invite),
and leaving a team from Settings."""

from flask import Blueprint

bp = Blueprint("members", __name__)
