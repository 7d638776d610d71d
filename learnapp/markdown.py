"""The one Markdown renderer: raw HTML is not passed through, the output is sanitised.

Everything a user writes in Markdown reaches a page only through ``render_markdown``; its
output is the only thing templates mark ``|safe`` (via the ``markdown`` filter).
"""

from __future__ import annotations

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


def _converter() -> markdown_lib.Markdown:
    md = markdown_lib.Markdown(extensions=["fenced_code", "tables", "sane_lists"])
    # Python-Markdown copies raw HTML (hx-* attributes too) into its output; turn that off
    # so "<b>" in a lesson shows as text rather than markup.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def render_markdown(text: str | None) -> Markup:
    """Render user Markdown to sanitised HTML, wrapped so htmx ignores anything inside."""
    if not text:
        return Markup("")
    html = _converter().convert(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    # Markup() is safe here: ``clean`` is nh3's allow-listed output.
    safe = Markup(clean)  # noqa: S704  # nosec B704  # nh3's allow-listed output
    return Markup('<div class="markdown" hx-disable>') + safe + Markup("</div>")


def init_app(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
