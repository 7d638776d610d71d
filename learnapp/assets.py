"""Static files under versioned names, cached for a year, and compressed responses.

``static_url("css/app.css")`` in a template gives ``/static/css/app.<hash>.css``, where the
hash is the start of the file's SHA-256: the name changes whenever the content does, so a
browser may keep the file for a year without asking again (``Cache-Control: public,
max-age=31536000, immutable``). The plain name ``/static/css/app.css`` keeps working, as
before, revalidated on each use (``no-cache`` with an ETag). A versioned name whose hash is
not the current one (a page from before a deploy) gets today's file, revalidated like the
plain name, so nothing stale is ever kept for a year.

Responses are compressed by Flask-Compress (zstd, Brotli or gzip, as the browser accepts):
HTML pages, the Atom feed, CSS and JavaScript. Compressing pages that carry a CSRF token
invites BREACH, which needs a page to reflect attacker-chosen text many thousands of times
with the victim's cookies; the session cookie is ``SameSite=Lax``, so other sites cannot
make those requests, and the token's signed part changes every second.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, current_app, url_for
from flask_compress import Compress
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

IMMUTABLE = "public, max-age=31536000, immutable"
HASH_LENGTH = 12
VERSIONED = re.compile(rf"(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[\w]+)")
EXTENSION = "learnapp.assets"
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/atom+xml",
    "image/svg+xml",
    "text/plain",
]


def content_hash(filename: str) -> str:
    """The start of the SHA-256 of a static file, read again only when the file changes."""
    path = Path(current_app.static_folder or "") / filename
    stat = path.stat()
    known: dict[str, tuple[int, int, str]] = current_app.extensions[EXTENSION]
    kept = known.get(filename)
    if kept is None or kept[:2] != (stat.st_mtime_ns, stat.st_size):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
        kept = known[filename] = (stat.st_mtime_ns, stat.st_size, digest)
    return kept[2]


def versioned_name(filename: str) -> str:
    """``css/app.css`` as ``css/app.<hash>.css``."""
    stem, dot, suffix = filename.rpartition(".")
    if not dot or "/" in suffix:
        return f"{filename}.{content_hash(filename)}"
    return f"{stem}.{content_hash(filename)}.{suffix}"


def static_url(filename: str) -> str:
    """The URL of a static file under its versioned name (cached for a year)."""
    return url_for("static", filename=versioned_name(filename))


def _in_memory(response: Response) -> Response:
    """The file's bytes in the response itself (our static files are small): compressed in
    one piece, and the file closed at once (compressing the file's stream left it open)."""
    if not response.direct_passthrough:
        return response
    stream = response.response
    with_body = response.status_code in (200, 206)  # 206: the range asked for
    try:
        body = b"".join(stream) if with_body else b""  # type: ignore[arg-type]
    finally:
        stream.close()  # type: ignore[union-attr]
    response.direct_passthrough = False
    if with_body:
        response.set_data(body)
    else:  # 304 or 416: no body, and the headers stay as they are
        response.response = []
    return response


def serve_static(filename: str) -> Response:
    """Flask's static view, plus versioned names: the current one is cached for a year."""
    match = VERSIONED.fullmatch(filename)
    if match is not None:
        plain = match["stem"] + match["suffix"]
        path = safe_join(current_app.static_folder or "", plain)
        if path is not None and Path(path).is_file():
            response = _in_memory(current_app.send_static_file(plain))
            if match["hash"] == content_hash(plain):
                response.headers["Cache-Control"] = IMMUTABLE
            return response
    return _in_memory(current_app.send_static_file(filename))


def init_app(app: Flask) -> None:
    """Serve versioned static names, offer ``static_url`` to templates, compress."""
    app.extensions[EXTENSION] = {}
    app.view_functions["static"] = serve_static
    app.add_template_global(static_url, "static_url")
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    Compress(app)
