"""The one Markdown renderer: raw HTML is not passed through, the output is sanitised.

Everything a user writes in Markdown reaches a page only through ``render_markdown``; its
output is the only thing templates mark ``|safe`` (via the ``markdown`` filter).
"""

from __future__ import annotations

import functools
import threading

import markdown as markdown_lib
import nh3
from flask import Flask
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


_local = threading.local()


def _converter() -> markdown_lib.Markdown:
    """This thread's converter, reset (building one took 1 ms: a page of analyses and
    narratives built dozens)."""
    md = getattr(_local, "converter", None)
    if md is None:
        md = markdown_lib.Markdown(extensions=["fenced_code", "tables", "sane_lists"])
        # Python-Markdown copies raw HTML (hx-* attributes too) into its output; turn that
        # off so "<b>" in a lesson shows as text rather than markup.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        _local.converter = md
    return md.reset()


@functools.lru_cache(maxsize=1024)
def _clean_html(text: str) -> str:
    """``text`` rendered and sanitised: a pure function of the text, so the most recent
    thousand are kept (a narrative is read far more often than it is written)."""
    return nh3.clean(
        _converter().convert(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str | None) -> Markup:
    """Render user Markdown to sanitised HTML, wrapped so htmx ignores anything inside."""
    if not text:
        return Markup("")
    clean = _clean_html(text)
    # Markup() is safe here: ``clean`` is nh3's allow-listed output.
    safe = Markup(clean)  # noqa: S704  # nosec B704  # nh3's allow-listed output
    return Markup('<div class="markdown" hx-disable>') + safe + Markup("</div>")


def init_app(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
