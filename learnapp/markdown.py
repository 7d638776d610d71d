"""The one Markdown renderer: CommonMark in linear time, no raw HTML, sanitised output.

Everything a user writes in Markdown reaches a page only through this module; its output is
the only thing templates mark safe (via the ``markdown`` filter).
"""

from __future__ import annotations

import nh3
from flask import Flask
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# markdown-it's CommonMark preset: block quotes and lists (a list counts two: the list and
# its item) nest at most this deep. The parser drops whatever lies deeper, so such text is
# refused rather than shown cut short.
MAX_NESTING = 20
TOO_DEEP = (
    "Lists or quotes are nested too deeply here to be shown (at most 10 lists or 20 quotes "
    "inside one another). Nest them less, or put this text in a code block."
)


class MarkdownRefused(ValueError):
    """The text cannot be shown as Markdown; the message says why, for the writer."""


def _parser() -> MarkdownIt:
    """A new parser: CommonMark with tables and strikethrough, raw HTML shown as text.

    One per render, so no parser state can outlive an exception into another document.
    """
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    tokenize = md.block.tokenize

    def refuse_what_would_be_dropped(state: StateBlock, start: int, end: int) -> None:
        # The parser's own check skips every line from here on once the limit is reached.
        if state.level >= MAX_NESTING:
            line = state.skipEmptyLines(start)
            if line < end and state.sCount[line] >= state.blkIndent:
                raise MarkdownRefused(TOO_DEEP)
        tokenize(state, start, end)

    md.block.tokenize = refuse_what_would_be_dropped  # type: ignore[method-assign]
    return md


def render_html(text: str) -> str:
    """``text`` as sanitised HTML (without the wrapper); raises ``MarkdownRefused``."""
    if not text:
        return ""
    return nh3.clean(
        _parser().render(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def problem_with(text: str | None) -> str | None:
    """Why ``text`` cannot be shown as Markdown, or None when it can."""
    try:
        render_html(text or "")
    except MarkdownRefused as refused:
        return str(refused)
    return None


def wrap(html: str) -> Markup:
    """Sanitised HTML from ``render_html``, wrapped so htmx ignores anything inside."""
    if not html:
        return Markup("")
    safe = Markup(html)  # noqa: S704  # nosec B704  # nh3's allow-listed output
    return Markup('<div class="markdown" hx-disable>') + safe + Markup("</div>")


def render_markdown(text: str | None) -> Markup:
    """Render user Markdown to sanitised HTML, wrapped so htmx ignores anything inside."""
    return wrap(render_html(text or ""))


def init_app(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
