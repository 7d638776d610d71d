"""The one Markdown renderer: no raw HTML, no script, only http(s) and mailto links."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from learnapp.markdown import ALLOWED_TAGS, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    '<div hx-get="/admin" hx-trigger="load">x</div>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    "![img](javascript:alert(1))",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<style>body{display:none}</style>",
    '[x](https://ok.example "t" onmouseover=alert(1))',
]


class ElementCollector(HTMLParser):
    """Collects the real elements and attributes of an HTML string (text is ignored)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_inert(source):
    found = elements(str(render_markdown(source)))
    for tag, attrs in found[1:]:  # the first is the hx-disable wrapper
        assert tag in ALLOWED_TAGS, f"<{tag}> got through"
        for name, value in attrs.items():
            assert not name.startswith(("on", "hx-", "data-")), f"{name} got through"
            if name == "href":
                assert (value or "").split(":")[0].lower() in {"http", "https", "mailto"} or (
                    ":" not in (value or "")
                ), f"href {value!r} got through"


def test_raw_html_shows_as_text():
    assert "&lt;b&gt;hi&lt;/b&gt;" in str(render_markdown("<b>hi</b>"))


def test_allowed_links_keep_their_scheme_and_get_rel():
    html = str(render_markdown("[a](https://x.example) [m](mailto:a@b.example) [r](/entries/1)"))
    assert 'href="https://x.example"' in html
    assert 'href="mailto:a@b.example"' in html
    assert 'href="/entries/1"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_output_is_wrapped_so_htmx_ignores_it():
    assert str(render_markdown("hi")).startswith('<div class="markdown" hx-disable>')


def test_common_markdown_still_works():
    html = str(
        render_markdown("# T\n\n- a\n- b\n\n```\ncode <x>\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    )
    assert "<h1>T</h1>" in html and "<li>a</li>" in html
    assert "code &lt;x&gt;" in html and "<table>" in html


def test_empty_text_renders_nothing():
    assert str(render_markdown("")) == ""
