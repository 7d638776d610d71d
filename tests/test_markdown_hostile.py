"""Hostile Markdown: the CommonMark project's pathological inputs (cmark's
test/pathological_tests.py) at the longest length a field accepts, each rendered within a
time budget or refused with a message; a failed render never changes the next one."""

from __future__ import annotations

import gc
import itertools
import time

import pytest

from learnapp.forms import MAX_MARKDOWN_LENGTH
from learnapp.markdown import TOO_DEEP, MarkdownRefused, render_markdown

N = MAX_MARKDOWN_LENGTH
BUDGET_SECONDS = 0.5


def fill(unit: str, length: int = N) -> str:
    """``unit`` repeated up to exactly ``length`` characters."""
    return (unit * (length // len(unit) + 1))[:length]


def nested(opener: str, middle: str, closer: str) -> str:
    count = (N - len(middle)) // (len(opener) + len(closer))
    return opener * count + middle + closer * count


def lines_until_full(line_for) -> str:
    text = ""
    for number in itertools.count():
        line = line_for(number)
        if len(text) + len(line) > N:
            return text
        text += line


PATHOLOGICAL = {
    "nested strong emph": nested("*a **a ", "b", " a** a*"),
    "many emph closers with no openers": fill("a_ "),
    "many emph openers with no closers": fill("_a "),
    "many link closers with no openers": fill("a]"),
    "many link openers with no closers": fill("[a"),
    "mismatched openers and closers": fill("*a_ "),
    "issue #389": fill("*a ", N // 2) + fill("_a*_ ", N // 2),
    "openers and closers multiple of 3": "a**b" + fill("c* ", N - 4),
    "link openers and emph closers": fill("[ a_"),
    "pattern [ (]( repeated": fill("[ (]("),
    "pattern ![[]() repeated": fill("![[]()"),
    "nested brackets": nested("[", "a", "]"),
    "nested block quotes": fill("> ", N - 1) + "a",
    "nested block quotes without spaces": fill(">", N - 1) + "a",
    "deeply nested lists": lines_until_full(lambda depth: "  " * depth + "* a\n"),
    "nested list markers": fill("* ", N - 1) + "x",
    "nested ordered list markers": fill("1. ", N - 1) + "x",
    "backticks": lines_until_full(lambda run: "e" + "`" * (run + 1)),
    "unclosed links A": fill("[a](<b"),
    "unclosed links B": fill("[a](b"),
    "unclosed <!--": "</" + fill("<!--", N - 2),
    "empty lines in deeply nested lists": fill("- ", N // 2) + "x" + "\n" * (N // 2 - 1),
    "empty lines in deeply nested lists in blockquote": (
        "> " + fill("- ", N // 2) + "x\n" + fill(">\n", N // 2 - 4)
    ),
    "emph in deep blockquote": fill(">", N // 2) + fill("a*", N // 2),
    "many link reference definitions": lines_until_full(lambda i: f"[x{i}]: /url\n\n[x0]\n\n"),
    "nested inlines": nested("*", "a", "*"),
    "[ repeated": "[" * N,
    "] repeated": "]" * N,
    "a*** repeated": fill("a***"),
    "~~ strikethrough openers": fill("~~a "),
    "table with many columns": fill("|a", N // 2) + "\n" + fill("|-", N // 2 - 1),
    "table with many rows": "| a | b |\n|---|---|\n" + fill("| [ | *\n", N - 20),
    "unclosed fences": fill("```\n"),
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_markdown_at_the_longest_length_renders_in_budget_or_is_refused(text):
    assert len(text) > N * 0.95
    # The garbage collector still runs, but over this render's objects only, as in a
    # gunicorn worker (gc.freeze); late in a whole test run it would otherwise traverse
    # every object that earlier tests left behind.
    gc.collect()
    gc.freeze()
    # CPU time of this process: what a worker spends, without other processes' share of a
    # busy machine.
    started = time.process_time()
    try:
        html = str(render_markdown(text))
    except MarkdownRefused as refused:
        assert str(refused) == TOO_DEEP
    else:
        assert html.startswith('<div class="markdown" hx-disable>')
    finally:
        elapsed = time.process_time() - started
        gc.unfreeze()
    assert elapsed <= BUDGET_SECONDS, f"took {elapsed:.2f}s"


@pytest.mark.parametrize(
    "text",
    [
        "* " * 600 + "x",
        "1. " * 400 + "x",
        "> " * 100 + "a",
        "".join("  " * depth + "* a\n" for depth in range(30)),
    ],
    ids=["bullets", "numbers", "quotes", "indented lists"],
)
def test_nesting_deeper_than_shown_is_refused_not_cut_short(text):
    with pytest.raises(MarkdownRefused, match="nested too deeply"):
        render_markdown(text)


def test_nesting_people_write_is_shown_whole():
    text = "".join("  " * depth + f"* level {depth}\n" for depth in range(9)) + "\n> > quoted"
    html = str(render_markdown(text))
    assert "level 8" in html and "quoted" in html


DOCUMENT = "# Title\n\nOne *paragraph*.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |"


def test_a_refused_render_never_changes_the_next_ones_output():
    expected = str(render_markdown(DOCUMENT))
    assert "<p>One <em>paragraph</em>.</p>" in expected
    with pytest.raises(MarkdownRefused):
        render_markdown("* " * 600 + "x")
    assert str(render_markdown(DOCUMENT)) == expected


def test_an_exception_inside_the_parser_never_changes_the_next_ones_output(monkeypatch):
    from markdown_it.rules_inline import StateInline

    expected = str(render_markdown(DOCUMENT))
    original = StateInline.push

    def fail_midway(self, *args, **kwargs):
        if self.src.startswith("One"):  # midway: the title is already parsed
            raise RuntimeError("boom")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StateInline, "push", fail_midway)
    with pytest.raises(RuntimeError):
        render_markdown(DOCUMENT)
    monkeypatch.undo()
    assert str(render_markdown(DOCUMENT)) == expected
