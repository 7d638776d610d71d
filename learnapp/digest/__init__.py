"""The weekly digest: composed per reader, previewed in the browser, sent once per week."""

from flask import Blueprint

bp = Blueprint("digest", __name__)
