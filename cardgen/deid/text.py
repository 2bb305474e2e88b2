"""Text folded to the words a reader sees, so that a value matches however it is written.

Both sides of every comparison go through :func:`words`: the identifying values of a DICOM header
and the text of a case or a deck. Folding removes what changes how text looks but not what it
says: HTML tags and entities, Markdown emphasis, Unicode compatibility forms (full-width letters,
ligatures), case, accents (and the Latin letters without a separable accent: ``ł`` is ``l``, ``ø``
``o``), zero-width characters and soft hyphens, punctuation. What is left is a
list of words: runs of letters, runs of digits (a letter-digit change splits a word:
``MRN33445566`` is ``mrn``, ``33445566``) and single ideographs, kana or hangul (scripts written
without spaces, where a name is any run of its characters).

Every step is one pass of a regular expression without nested repetition, or a C string
method: folding is linear in the length of the text, whatever the text holds.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Tags that change how text looks inside a word ("J<b>oh</b>n"): removed without a space. Any
# other tag (a line break, a paragraph, an image) separates words.
_INLINE_TAG = re.compile(
    r"</?(?:b|i|u|s|em|strong|span|mark|code|sup|sub|small|big|font|a|del|ins|abbr|tt|q|kbd|var|cite)"
    r"(?:\s[^<>]{0,2000})?/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]{0,2000}>")
# Format characters (Unicode category Cf: soft hyphen, zero-width space and joiners, directional
# marks, word joiner, byte order mark, ...) and Markdown's emphasis and code marks: a reader does
# not see them, so they are removed, not turned into spaces ("Jo\u00adhn", "**John** Doe").
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff*`~]")
# Combining accents (after canonical decomposition): "José" and "Jose" are one name.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Latin letters that canonical decomposition leaves whole (no accent to remove), as people write them
# on a keyboard without them: "Łukasz" is "Lukasz", "Øster" "Oster", "Đặng" "Dang", "Æbelø" "Aebelo".
_PLAIN_LATIN = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ŀ": "l",
                              "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ĸ": "k", "ŋ": "n"})
# Decimal digits of other scripts than ASCII (Arabic-Indic, Devanagari, Thai, ...; NFKC has already
# folded the full-width and mathematical ones): a reader reads them as the same number.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.decimal(match.group(0)))


# Scripts written without spaces between words: each character is a word of its own.
_UNSPACED = ("\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
             "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff")
_WORD = re.compile(rf"[{_UNSPACED}]|[^\W\d_{_UNSPACED}]+|\d+")
# Separators inside a written number ("447-1902", "12 34 56", "1.2.840"): :func:`number_words`
# joins the digits across them.
_NUMBER_SEPARATOR = re.compile(r"(?<=\d)[ \-./]+(?=\d)")


def fold(text: str) -> str:
    """``text`` as a reader sees it, lower case and without accents, markup or invisible characters."""
    if "&" in text:
        text = html.unescape(html.unescape(text))  # twice: a value escaped once more still shows
    if "<" in text:
        text = _TAG.sub(" ", _INLINE_TAG.sub("", text))
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)))
        text = _OTHER_DIGIT.sub(_ascii_digit, text.translate(_PLAIN_LATIN))
    return _INVISIBLE.sub("", text)


def words(text: str) -> list[str]:
    """The words of ``text`` after :func:`fold`."""
    return _WORD.findall(fold(text))


def number_words(text: str) -> list[str] | None:
    """The words of ``text`` with the digits of each written number joined ("447-1902" gives
    ``4471902``), or None when no number in it has separators (then they are :func:`words`)."""
    folded = fold(text)
    joined = _NUMBER_SEPARATOR.sub("", folded)
    return _WORD.findall(joined) if joined != folded else None


def is_unspaced(word: str) -> bool:
    """True for a word of a script written without spaces (a single ideograph, kana or hangul)."""
    return len(word) == 1 and _UNSPACED_CHAR.match(word) is not None


_UNSPACED_CHAR = re.compile(rf"[{_UNSPACED}]")


# A run of what :func:`fold` may turn into words: letters, digits, marks and the invisible
# characters a word may hide behind (a soft hyphen inside a name).
_RAW_WORD = re.compile(r"(?:[^\W_]|[\u00ad\u200b-\u200d\u2060\ufeff*`~])+")


def spanned_words(text: str, *, join_numbers: bool = False) -> list[tuple[str, int, int]]:
    """The words of ``text`` (as :func:`words` gives them, without HTML handling) with the span
    of ``text`` each comes from: every word folded from one run of characters has that run's
    span. With ``join_numbers``, digits across separators are one word, as in :func:`number_words`."""
    found: list[tuple[str, int, int]] = []
    for run in _RAW_WORD.finditer(text):
        for word in _WORD.findall(fold(run.group(0))):
            found.append((word, run.start(), run.end()))
    if not join_numbers:
        return found
    joined: list[tuple[str, int, int]] = []
    for word, start, end in found:
        if (joined and word.isdigit() and joined[-1][0].isdigit()
                and _NUMBER_GAP.fullmatch(text, joined[-1][2], start)):
            previous, first, _ = joined.pop()
            joined.append((previous + word, first, end))
        else:
            joined.append((word, start, end))
    return joined


_NUMBER_GAP = re.compile(r"[ \-./]*")
