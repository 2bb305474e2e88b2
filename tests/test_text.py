"""Teaching text: the safe Markdown subset, exact outputs, and properties over any text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from cardgen.cards.text import ALLOWED_TAGS, render_teaching_text

VOID_TAGS = {"br"}


class _TagRecorder(HTMLParser):
    """Records every tag, its attributes and whether the nesting is balanced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.stack: list[str] = []
        self.balanced = True
        self.comments: list[str] = []
        self.declarations: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.balanced = False

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def handle_pi(self, data):
        self.declarations.append(data)

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _TagRecorder:
    recorder = _TagRecorder()
    recorder.feed(html)
    recorder.close()
    return recorder


# --- exact outputs -------------------------------------------------------------------------

EXAMPLES = [
    ("", ""),
    ("   \n\n", ""),
    ("plain text", "<p>plain text</p>"),
    ("**bold**", "<p><strong>bold</strong></p>"),
    ("*italic* and _italic_", "<p><em>italic</em> and <em>italic</em></p>"),
    ("**bold with *italic* inside**", "<p><strong>bold with <em>italic</em> inside</strong></p>"),
    ("line one\nline two", "<p>line one<br>line two</p>"),
    ("para one\n\npara two", "<p>para one</p><p>para two</p>"),
    ("- first\n- second\n* third", "<ul><li>first</li><li>second</li><li>third</li></ul>"),
    ("1. first\n2) second\n10. third", "<ol><li>first</li><li>second</li><li>third</li></ol>"),
    ("Findings:\n- **mass** in RUL\n- no effusion\nDone",
     "<p>Findings:</p><ul><li><strong>mass</strong> in RUL</li><li>no effusion</li></ul><p>Done</p>"),
    ("- a\n1. b", "<ul><li>a</li></ul><ol><li>b</li></ol>"),
    # Radiology text that is not emphasis stays as written.
    ("T2*-weighted and T2* images", "<p>T2*-weighted and T2* images</p>"),
    ("series_uid_name and 2 * 3 * 4", "<p>series_uid_name and 2 * 3 * 4</p>"),
    ("**unclosed bold", "<p>**unclosed bold</p>"),
    ("*a **b** c*", "<p>*a <strong>b</strong> c*</p>"),
    # Escaping comes first: HTML in a case is shown as text.
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ('<img src=x onerror="alert(1)">', "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>"),
    ('<a href="javascript:alert(1)">x</a>',
     "<p>&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;</p>"),
    ("**<b>x</b>**", "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>"),
    ("AT&T's \"quote\"", "<p>AT&amp;T&#39;s &#34;quote&#34;</p>"),
    ("&lt;already escaped&gt;", "<p>&amp;lt;already escaped&amp;gt;</p>"),
    ("{{c1::cloze}} {{Field}}", "<p>{{c1::cloze}} {{Field}}</p>"),
    ("crlf\r\nline\rend", "<p>crlf<br>line<br>end</p>"),
]


@pytest.mark.parametrize(("source", "expected"), EXAMPLES)
def test_exact_output(source: str, expected: str) -> None:
    rendered = render_teaching_text(source)
    assert isinstance(rendered, Markup)
    assert str(rendered) == expected


def test_markup_is_not_escaped_again_in_jinja() -> None:
    from jinja2 import Environment

    env = Environment(autoescape=True)
    html = env.from_string("<div>{{ text }}</div>").render(text=render_teaching_text("**x** <y>"))
    assert html == "<div><p><strong>x</strong> &lt;y&gt;</p></div>"


def test_non_string_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a string"):
        render_teaching_text(["- a list"])  # type: ignore[arg-type]


# --- properties over any text ---------------------------------------------------------------

# Text drawn from fragments that matter (markers, HTML, handlers, URLs) mixed with anything.
DANGEROUS = ["<", ">", "&", '"', "'", "*", "**", "_", "- ", "1. ", "\n", "\n\n", "<script>",
             "</script>", "<SCRIPT src=//x>", "<img src=x onerror=alert(1)>", "onload=",
             "javascript:", "JaVaScRiPt:alert(1)", '<a href="javascript:x">', "<!--", "-->",
             "<![CDATA[", "<?xml", "<svg/onload=alert(1)>", "<p>", "</p>", "<br>", "<strong>",
             "</em>", "&#60;script&#62;", "&lt;", "\x00", "\r", "\t", " "]
teaching_text = st.lists(st.one_of(st.sampled_from(DANGEROUS), st.text(max_size=12)),
                         max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(teaching_text)
def test_only_allowed_tags_without_attributes(source: str) -> None:
    html = str(render_teaching_text(source))
    parsed = parse(html)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert attrs == [], (tag, attrs, html)
    assert parsed.balanced and not parsed.stack, html
    assert parsed.comments == [] and parsed.declarations == [], html
    lowered = html.lower()
    assert "<script" not in lowered
    # Every "<" in the output opens one of our own tags; any other one would be raw input.
    for opened in re.findall(r"<(/?)([a-z0-9]*)", lowered):
        assert opened[1] in ALLOWED_TAGS, (opened, html)
    # Handlers and javascript: URLs could only act inside a tag; no tag carries attributes,
    # so the only place they can appear is inside text.
    for tag_text in re.findall(r"<[^>]*>", html):
        assert not re.search(r"on\w+\s*=", tag_text, re.IGNORECASE)
        assert "javascript:" not in tag_text.lower()


@settings(max_examples=300, deadline=None)
@given(teaching_text)
def test_text_survives_apart_from_markers(source: str) -> None:
    """What the learner reads is the source text less the markup markers (nothing invented)."""
    html = str(render_teaching_text(source))
    shown = "".join(parse(html).text)
    kept = re.sub(r"\s+", "", shown)
    original = re.sub(r"\s+", "", source.replace("\r", ""))
    # Removing list markers and emphasis markers from the source gives a superset of characters.
    assert set(kept) <= set(original) | {"\ufffd"}, (source, html)


@settings(max_examples=200, deadline=None)
@given(teaching_text)
def test_deterministic(source: str) -> None:
    assert render_teaching_text(source) == render_teaching_text(source)


@pytest.mark.parametrize("unit", [" **a", " *a", " _a", "**", " **a*", "_*", "a**"])
def test_markup_takes_linear_time(unit: str) -> None:
    """Emphasis markers that never pair (a hostile history): ten times the text takes about ten times
    as long, not a hundred (the backtracking patterns this replaced took 55 s for " **a" x 20,000).
    A ratio of two sizes measured in the same run, best of three each."""
    import time

    def seconds(count: int) -> float:
        text = unit * count
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            render_teaching_text(text)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(2_000), seconds(20_000)
    assert large < 30 * small + 0.01, (small, large)
