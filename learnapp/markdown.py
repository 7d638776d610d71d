"""The one Markdown renderer: CommonMark in linear time, no raw HTML, sanitised output.

Markdown is rendered once, when it is written: each Markdown column ``x`` has a ``x_html``
column beside it, filled by an attribute hook whenever ``x`` is set (constructors, forms,
direct INSERTs of the object's attributes alike), and the row's ``markdown_version`` says
which renderer filled it (``flask markdown rerender`` brings older rows up to date).
Templates show that HTML through the ``markdown`` filter, the only thing they mark safe.
"""

from __future__ import annotations

from typing import Any

import nh3
from flask import Flask
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markupsafe import Markup, escape
from sqlalchemy import Text, TypeDecorator, bindparam, event, select, update
from sqlalchemy.orm import Session, mapped_column

# Raise it whenever the output for the same text changes (the parser, its options, the
# allow-list): rows rendered by an older version are then rebuilt by `flask markdown rerender`.
RENDERER_VERSION = 1

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


class RenderedHTML(str):
    """Sanitised HTML that this renderer made: the only kind the ``markdown`` filter shows."""

    __slots__ = ()


def render_stored(text: str | None) -> RenderedHTML:
    """``text`` as the HTML to store; never raises.

    Text the renderer refuses (written before the refusal existed, or assembled by the app)
    is kept whole as preformatted text rather than cut short or breaking the write.
    """
    try:
        return RenderedHTML(render_html(text or ""))
    except MarkdownRefused:
        return RenderedHTML(f"<pre><code>{escape(text)}</code></pre>")


class RenderedColumn(TypeDecorator[str]):
    """A ``*_html`` column: text in the database, ``RenderedHTML`` when read back."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else RenderedHTML(value)


def html_column() -> Any:
    """A model's ``<field>_html`` column, kept rendered by ``renders_markdown``."""
    return mapped_column(RenderedColumn, default="", server_default="")


# Every model with Markdown columns, and the names of those columns.
MARKDOWN_MODELS: dict[type, tuple[str, ...]] = {}


def renders_markdown(model: type, *fields: str) -> None:
    """Keep ``model``'s ``<field>_html`` columns rendered from ``fields`` whenever they are set."""
    MARKDOWN_MODELS[model] = fields
    for field in fields:
        html = f"{field}_html"

        def render_on_set(target: Any, value: str | None, old: Any, initiator: Any) -> None:
            setattr(target, initiator.key + "_html", render_stored(value))

        if html not in model.__table__.columns:  # type: ignore[attr-defined]
            raise TypeError(f"{model.__name__} has no {html} column")
        event.listen(getattr(model, field), "set", render_on_set)


def rerender_stale(session: Session, batch: int = 500) -> dict[str, int]:
    """Render again every row whose HTML an older renderer made (or none): rows per table."""
    counts = {}
    for model, fields in MARKDOWN_MODELS.items():
        table = model.__table__  # type: ignore[attr-defined]
        stale = (
            select(table.c.id, *(table.c[field] for field in fields))
            .where(table.c.markdown_version < RENDERER_VERSION)
            .order_by(table.c.id)
            .limit(batch)
        )
        # Only while the text is still what was rendered (an edit meanwhile wins; the row
        # stays stale for the next run). A new rendering is not an edit: updated_at stays.
        store = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .where(*(table.c[field] == bindparam(f"was_{field}") for field in fields))
            .values(updated_at=table.c.updated_at)
        )
        counts[table.name], last = 0, 0
        while rows := session.execute(stale.where(table.c.id > last)).all():
            session.execute(
                store,
                [
                    {
                        "row_id": row.id,
                        "markdown_version": RENDERER_VERSION,
                        **{f"was_{f}": getattr(row, f) for f in fields},
                        **{f"{f}_html": render_stored(getattr(row, f)) for f in fields},
                    }
                    for row in rows
                ],
            )
            session.commit()
            counts[table.name] += len(rows)
            last = rows[-1].id
    return counts


def show(html: str | None) -> Markup:
    """The ``markdown`` filter: stored (or previewed) ``RenderedHTML``, wrapped for the page."""
    if html is None:
        return Markup("")
    if not isinstance(html, RenderedHTML):
        # Markdown source or any other string would be shown as HTML: refuse loudly.
        raise TypeError("the markdown filter shows only rendered HTML (a *_html column)")
    return wrap(html)


def init_app(app: Flask) -> None:
    app.add_template_filter(show, "markdown")
