"""Teaching text to card HTML: a small, safe Markdown subset, and everything else escaped.

A case's history, findings and teaching points are written by people and copied between files;
they reach the learner's card as HTML. So the text is escaped *first* (every ``<``, ``>``, ``&``
and quote becomes an entity) and only then is the subset turned into tags that this module writes
itself. No tag, attribute or URL from a case can reach a card: the output holds only
``p``, ``br``, ``strong``, ``em``, ``ul``, ``ol`` and ``li``, never with attributes.

The subset:

- ``**bold**`` -> ``<strong>``; ``*italic*`` and ``_italic_`` -> ``<em>``. Markers count only at
  word edges, so ``T2*-weighted`` and ``snake_case_name`` stay as they are. Italic may sit inside
  bold, not the other way round; markers that do not pair stay as literal characters.
- Lines starting with ``- `` or ``* `` form a bullet list, lines starting with ``1. `` (any number,
  ``.`` or ``)``) a numbered list; the numbers themselves are not kept (Anki numbers from 1).
- Other consecutive lines form a paragraph, with a ``<br>`` at each line break; a blank line
  starts a new paragraph.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# The tags this module writes; tests check that nothing else ever appears.
ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li"})

_BULLET = re.compile(r"^[ \t]*[-*][ \t]+(?P<text>.*)$")
_NUMBERED = re.compile(r"^[ \t]*\d{1,9}[.)][ \t]+(?P<text>.*)$")

# Emphasis markers only open after a non-word character and close before one (a simplified form
# of CommonMark's flanking rules): "T2*" and "file_name_here" are not emphasis. An opener pairs with
# the first closer after it (at least one character between), like a lazy regular expression, but
# found in one pass over the line: a backtracking pattern takes quadratic time on a line of unclosed
# markers (docs/performance.md, "Card text").
_BOLD = ("**", "*")
_ITALIC_STAR = ("*", "*")
_ITALIC_UNDERSCORE = ("_", "_")


def render_teaching_text(text: str) -> Markup:
    """Turn a case's teaching text into safe card HTML (see the module docstring for the subset).

    The same text always gives the same HTML. Leading and trailing blank lines are dropped;
    an empty text gives an empty string.
    """
    if not isinstance(text, str):
        raise TypeError(f"teaching text must be a string, not {type(text).__name__}")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[str] = []
    paragraph: list[str] = []
    list_kind: str | None = None  # "ul" or "ol" while inside a list
    items: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal list_kind
        if list_kind is not None:
            blocks.append(f"<{list_kind}>" + "".join(f"<li>{item}</li>" for item in items)
                          + f"</{list_kind}>")
            items.clear()
            list_kind = None

    for line in lines:
        if not line.strip():
            close_paragraph()
            close_list()
            continue
        bullet = _BULLET.match(line)
        numbered = None if bullet else _NUMBERED.match(line)
        match = bullet or numbered
        if match:
            kind = "ul" if bullet else "ol"
            close_paragraph()
            if list_kind != kind:
                close_list()
                list_kind = kind
            items.append(_inline(match.group("text").strip()))
        else:
            close_list()
            paragraph.append(_inline(line.strip()))
    close_paragraph()
    close_list()
    # Every piece above was escaped before any tag was added, so the result is safe markup.
    return Markup("".join(blocks))


def _inline(line: str) -> str:
    """Escape one line, then turn its emphasis markers into tags (always well nested)."""
    return _bold(str(escape(line)))


def _bold(escaped: str) -> str:
    parts: list[str] = []
    position = 0
    for start, end in _emphasis(escaped, _BOLD):
        parts.append(_italic(escaped[position: start]))
        parts.append("<strong>" + _italic(escaped[start + 2: end]) + "</strong>")
        position = end + 2
    parts.append(_italic(escaped[position:]))
    return "".join(parts)


def _italic(escaped: str) -> str:
    # Applied only to text that holds no tag yet, so <em> never crosses a <strong>.
    for marker in (_ITALIC_STAR, _ITALIC_UNDERSCORE):
        escaped = _italic_with(marker, escaped)
    return escaped


def _italic_with(marker: tuple[str, str], escaped: str) -> str:
    parts: list[str] = []
    position = 0
    for start, end in _emphasis(escaped, marker):
        inner = escaped[start + 1: end]
        parts.append(escaped[position: start])
        # An inner "<" would cross a tag the other italic form wrote: keep the markers as text.
        parts.append(escaped[start: end + 1] if "<" in inner else "<em>" + inner + "</em>")
        position = end + 1
    parts.append(escaped[position:])
    return "".join(parts)


def _emphasis(text: str, marker: tuple[str, str]) -> list[tuple[int, int]]:
    """Where ``marker`` (delimiter, marker character) pairs in ``text``: (opener, closer) offsets.

    An opener follows neither a word character nor the marker character and precedes neither a
    space nor the marker character; a closer mirrors it. Linear in the length of ``text``.
    """
    delimiter, char = marker
    width, length = len(delimiter), len(text)
    openers: list[int] = []
    closers: list[int] = []
    at = text.find(delimiter)
    while at != -1:
        before = text[at - 1] if at > 0 else " "
        after = text[at + width] if at + width < length else " "
        if not (_is_word(before) or before == char) and not (after.isspace() or after == char):
            openers.append(at)
        if not (before.isspace() or before == char) and not (_is_word(after) or after == char) and at > 0:
            closers.append(at)
        at = text.find(delimiter, at + 1)
    pairs: list[tuple[int, int]] = []
    position = closer = 0
    for opener in openers:
        if opener < position:
            continue
        while closer < len(closers) and closers[closer] < opener + width + 1:
            closer += 1
        if closer == len(closers):
            break
        pairs.append((opener, closers[closer]))
        position = closers[closer] + width
    return pairs


def _is_word(ch: str) -> bool:
    """What ``\\w`` matches in a regular expression (letters, digits and the underscore)."""
    return ch.isalnum() or ch == "_"


# Anki's own markup in a field, which HTML escaping leaves alone: ``[sound:x.mp3]``, ``[anki:tts]``,
# ``[latex]``/``[$]`` (read from the field's text) and MathJax's ``\(`` / ``\[`` (read from the page's
# text, after entities are decoded). Brackets become entities; a backslash gets an invisible word
# joiner after it, so no delimiter forms on the page either.
_ANKI_MARKUP = str.maketrans({"[": "&#91;", "]": "&#93;", "\\": "&#92;&#8288;"})


def inert_for_anki(field_html: str) -> str:
    """``field_html`` (escaped HTML, as cardgen writes a field) with no sound, speech, LaTeX or
    MathJax markup left for Anki to act on; it looks the same on the card. cardgen's own field
    markup holds none of these characters (the Image Occlusion field's cloze is not passed here)."""
    return field_html.translate(_ANKI_MARKUP)

