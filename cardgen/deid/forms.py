"""The written forms of one identifying value: the word sequences it may take in a deck.

Values and text are compared as words (:mod:`cardgen.deid.text`): case, accents, punctuation,
markup, full-width forms and invisible characters do not hide a value. Each value is searched in
the forms people write it:

- person names (VR PN) by component: the family name alone, the given or middle name alone (each of
  at least :data:`MIN_NAME_PART` letters, or two ideographs), in either order, with initials
  ("J. Doe"), without middle name, prefix or suffix, and each of the alphabetic, ideographic and
  phonetic groups (``YAMADA^TARO=山田^太郎=やまだ^たろう``) on its own; also with umlauts written
  as two letters ("Mueller") and a family name of several words written as one ("LeBlanc");
- dates in every common written form: 19790314, 14031979, 1979-03-14, 14/03/1979, 14.03.1979,
  03/14/1979, 14/3/1979, 14/03/79, 3/14/79, 14 March 1979, March 14th, 1979, 14-Mar-79, 14 mars 1979,
  14. März 1979, 14 de marzo de 1979, 14 III 1979, Mar 14, '79, 1979年3月14日, 昭和54年3月14日, ...;
- numbers and IDs with or without separators (``447-1902`` is ``4471902``), and the parts of an
  identifier people write alone (:func:`_identifier_parts`: an ID's digits, a part of an address,
  a telephone number without its country code);
- free text (descriptions, comments, private text, overlay text) is searched inside: the IDs
  (six digits or more), dates, DICOM-style names (``Doe^John``), "Family, Given" and runs of
  capitalised words ("Patient Sally Smith MRN 33445566" gives ``sally smith`` and ``33445566``) it
  holds; the whole value too when it is short and holds a digit, ``^``, ``@`` or a comma.

What is deliberately not searched, because a search for it would fail builds on ordinary words
and numbers (each rule is tested in tests/test_deid.py):

- values shorter than :data:`MIN_TEXT_LENGTH` characters (a sex ``M``); numbers shorter than
  :data:`MIN_NUMBER_LENGTH` digits (a weight ``70``, a time ``0930``) or with fewer than
  :data:`MIN_NONZERO_DIGITS` non-zero digits (``1.000000``, ``100000``); the generic words of
  :data:`GENERIC_WORDS` as name components (``Lastname^Firstname``, ``Patient^Test``).
- descriptions and single words of private text without anything identifying-looking ("whole
  body", "Axial", "WB BONE"): words the teaching text uses too.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache

from cardgen.deid.text import is_unspaced, number_words, words

MIN_TEXT_LENGTH = 4
MIN_NUMBER_LENGTH = 6
MIN_NONZERO_DIGITS = 3
MIN_NAME_PART = 3  # letters of a name component searched on its own ("Doe" yes, "Li" only with "Wei")
# Text of a value searched inside (the rest of a 27 KB private XML value holds no more names).
MAX_SEARCHED_INSIDE = 64 * 1024
# Longer values are searched inside only, never as one whole value.
MAX_WHOLE_VALUE = 64
# Values that mark "no value" and so identify nobody.
PLACEHOLDERS = frozenset({"none", "unknown", "anonymous", "anonymized", "anonymised", "n/a",
                          "null", "removed", "deidentified", "de-identified", "test", "phantom"})
# Words that name no one when they stand in a name field ("Lastname^Firstname", "Observer^Verifying",
# "Patient, The"), name particles and honorifics: never searched alone.
GENERIC_WORDS = PLACEHOLDERS | frozenset({
    "patient", "name", "names", "first", "last", "firstname", "lastname", "given", "family", "middle",
    "surname", "enter", "text", "operator", "observer", "verifying", "verifier", "user", "meduser",
    "doctor", "physician", "radiologist", "technologist", "nurse", "anon", "nobody", "unnamed",
    "the", "and", "for", "with", "van", "von", "der", "den", "del", "della", "dos", "das", "bin",
    "ibn", "mrs", "miss", "prof", "sir", "dame", "jnr", "snr", "esq", "phd", "sample", "samples",
    "compressedsamples", "mr", "ms", "dr", "jr", "sr"})
# Words before a name in free text ("Patient Sally Smith", "seen by Dr Zyqrab"), dropped from a run.
_NAME_CUES = frozenset({"patient", "pt", "name", "mr", "mrs", "ms", "miss", "dr", "prof", "seen",
                        "by", "referred", "dear", "for", "from", "to", "of", "the", "mrn", "id"})
_LONG_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC", "UN"})  # text values searched inside
_NUMBER = re.compile(r"[0-9.+\-: \\]+")
_NOT_DIGIT = re.compile(r"\D+")
_LONG_NUMBER = re.compile(r"\d(?:[ \-./]{0,3}\d){5}")
_DISTINCTIVE = re.compile(r"\d|\^|@|[^\W\d_],\s?[^\W\d_]")
_DATE = re.compile(r"((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)")
_DICOM_NAME = re.compile(r"[^\W\d_][^\W\d_' -]{0,63}(?:\^[^\W\d_' -]{0,64}){1,4}")
_FAMILY_COMMA_GIVEN = re.compile(r"([^\W\d_][^\W\d_'-]{1,63}), ?([^\W\d_][^\W\d_'-]{1,63})")
# Runs of capitalised words ("Sally Smith"), at most eight words (bounded, linear).
_CAPITALISED_RUN = re.compile(r"(?<![\w])[A-Z\u00c0-\u00de][a-z\u00df-\u00ff'-]{1,40}"
                              r"(?:[ \t]{1,3}[A-Z\u00c0-\u00de][a-z\u00df-\u00ff'-]{1,40}){1,7}(?![\w])")
_MONTHS = [(calendar.month_name[m].lower(), calendar.month_abbr[m].lower()) for m in range(1, 13)]
# Month names of the other languages teaching files are written in (French, German, Spanish,
# Italian, Portuguese, Dutch; as words() folds them: "März" is "marz"), and Roman numerals ("14 III 1979").
_OTHER_MONTHS = [
    ("janvier", "januar", "enero", "gennaio", "janeiro", "januari", "i"),
    ("fevrier", "februar", "febrero", "febbraio", "fevereiro", "februari", "ii"),
    ("mars", "marz", "marzo", "marco", "maart", "iii"),
    ("avril", "april", "abril", "aprile", "iv"),
    ("mai", "mayo", "maggio", "maio", "mei", "v"),
    ("juin", "juni", "junio", "giugno", "junho", "vi"),
    ("juillet", "juli", "julio", "luglio", "julho", "vii"),
    ("aout", "august", "agosto", "augustus", "viii"),
    ("septembre", "september", "septiembre", "settembre", "setembro", "ix"),
    ("octobre", "oktober", "octubre", "ottobre", "outubro", "x"),
    ("novembre", "november", "noviembre", "novembro", "xi"),
    ("decembre", "dezember", "diciembre", "dicembre", "dezembro", "xii"),
]

Form = tuple[str, ...]


def value_forms(text: str, vr: str, *, free_text: bool, names_inside: bool, address: bool = False) -> list[Form]:
    """The word sequences one value ``text`` of value representation ``vr`` may take in a deck.

    ``free_text`` marks a description, comment or private note rather than an identifier: it is
    searched inside, and whole only when it looks identifying; ``names_inside`` marks free text
    where people write notes about a patient (comments, private and overlay text), whose runs of
    capitalised words are searched as names. In histories and descriptions, capitalised words are
    diseases ("Crohn Disease") more often than people. ``address`` marks an address, whose one-word
    parts (a town) are searched too (see :func:`_identifier_parts`).
    """
    text = text[:MAX_SEARCHED_INSIDE]
    # Most values of a header are short numbers (settings, sizes, times): a quick look at the
    # characters decides for them without folding, before any pattern runs.
    if len(text) < 2 or (_NUMBER.fullmatch(text) and not _significant_number(text)):
        return []
    forms: list[Form] = []
    names: list[Form] = []
    if vr == "PN":
        names = name_forms(text)
        if names:
            return names
        forms += _whole_forms(text)  # a code in a name field ("JANCT000")
    elif free_text:
        if len(text) <= MAX_WHOLE_VALUE and _DISTINCTIVE.search(text):
            forms += _whole_forms(text)
        forms += _inner_forms(text, names=names_inside)
    else:
        if len(text) <= MAX_WHOLE_VALUE:
            forms += _whole_forms(text)
            if vr != "UI":
                forms += _identifier_parts(text, address=address)
        if len(text) > MAX_WHOLE_VALUE or vr in _LONG_TEXT_VRS:
            forms += _inner_forms(text, names=False)
    stripped = text.strip()
    if vr in ("DA", "DT"):
        date = _DATE.match(stripped)
    else:
        date = _DATE.fullmatch(stripped) or _ISO_DATE.fullmatch(stripped) if len(stripped) in (8, 10) else None
    if date:
        names += date_forms(*(int(part) for part in date.groups()))  # valid as made, like names
    return [form for form in dict.fromkeys(forms) if _worth_searching(form)] + names


def _whole_forms(text: str) -> list[Form]:
    """The value as a whole: its words, and its words with numbers joined (``447-1902``)."""
    forms = [tuple(words(text))]
    joined = number_words(text)
    if joined:
        forms.append(tuple(joined))
    return forms


_ADDRESS_PARTS = re.compile(r"[,^\r\n;]+")
# Letters of a one-word part of an address searched alone: "Brackleton", "Leeds"; not "Bath", "Hull",
# "Deal" or "Sale", towns whose names are words teaching text uses.
MIN_PLACE_NAME = 5


def _identifier_parts(text: str, *, address: bool = False) -> list[Form]:
    """Parts of an identifier people write on their own: the digits of a code with letters
    ("MRN0098765" as "0098765", "XZ-778812" as "778812"), each part of an address of two words or
    more between commas, carets, semicolons or line breaks, with and without its house number ("12
    Evergreen Terrace", "Evergreen Terrace"), and with its numbers joined (the postcode "BX4 9QT"
    as "BX49QT"); in an ``address``, a part of one word of :data:`MIN_PLACE_NAME` letters or more
    (the town "Brackleton"); and a telephone number without its country code ("+1 555 0100 223" as
    "555-0100-223"), in its national form ("+44 20 7946 0381" as "020 7946 0381" or "(020) 7946
    0381") and with the
    international prefix 00 ("0044 20 7946 0381"). Each still passes the length rules of
    :func:`_worth_searching`."""
    forms: list[Form] = []
    found = number_words(text) or words(text)
    if any(not word.isdigit() for word in found):
        forms += [(word,) for word in found if word.isdigit()]
    parts = _ADDRESS_PARTS.split(text)
    if len(parts) > 1:  # "12 Evergreen Terrace, Springfield", or with ^ or line breaks between
        for part in parts:
            part_words = tuple(words(part))
            if len(part_words) >= 2:
                forms.append(part_words)
                without_number = tuple(word for word in part_words if not word.isdigit())
                if len(without_number) >= 2 and without_number != part_words:
                    forms.append(without_number)
                joined = number_words(part)
                if joined:
                    forms.append(tuple(joined))
            elif (address and part_words and part_words[0].isalpha() and not is_unspaced(part_words[0])
                  and len(part_words[0]) >= MIN_PLACE_NAME):
                forms.append(part_words)
    if text.lstrip().startswith("+"):
        groups = _NOT_DIGIT.split(text.strip().lstrip("+"))
        groups = [group for group in groups if group]
        if len(groups) >= 3:
            national = "".join(groups[1:])
            forms += [(national,), ("00" + "".join(groups),)]
            if not national.startswith("0"):  # the trunk prefix 0 of most countries, "(020) 7946 0381" too
                forms += [("0" + national,), ("0" + groups[1], "".join(groups[2:]))]
    return forms


def _inner_forms(text: str, *, names: bool) -> list[Form]:
    """The identifiers free text holds: IDs, dates, DICOM-style and capitalised names."""
    forms: list[Form] = []
    if _LONG_NUMBER.search(text):  # six digits, maybe with separators: an ID or a date is possible
        for word in number_words(text) or words(text):
            if word.isdigit() and len(word) >= MIN_NUMBER_LENGTH:
                forms.append((word,))
                date = _DATE.fullmatch(word)
                if date:
                    forms += date_forms(*(int(part) for part in date.groups()))
        for date in _ISO_DATE.finditer(text):
            forms += date_forms(*(int(part) for part in date.groups()))
    if "^" in text:
        for name in _DICOM_NAME.finditer(text):
            forms += name_forms(name.group(0), parts=False)
    if "," in text:
        for family, given in _FAMILY_COMMA_GIVEN.findall(text):
            forms += name_forms(f"{family}^{given}", parts=False)
    # (name forms pass _worth_searching too: a name part of three letters found in free text is
    # searched only with the rest of its name)
    if names:
        for run in _CAPITALISED_RUN.finditer(text):
            parts = list(words(run.group(0)))
            while parts and parts[0] in _NAME_CUES:
                parts.pop(0)
            while parts and parts[-1] in _NAME_CUES:
                parts.pop()
            if len(parts) >= 2:
                forms.append(tuple(parts))
    return forms


def name_forms(text: str, *, parts: bool = True) -> list[Form]:
    """The forms of a person name (Family^Given^Middle^Prefix^Suffix, maybe with ``=`` groups);
    without ``parts``, only the whole name in either order (a name-like shape found in free text,
    "abdomen^liver", may not be a name: its words alone are not searched)."""
    forms: list[Form] = []
    for group in (spelling for written in text.split("=") for spelling in _spellings(written)):
        if "^" in group:
            components = [tuple(words(part)) for part in group.split("^")[:5]]
        elif "," in group:
            family, _, given = group.partition(",")
            components = [tuple(words(family)), tuple(words(given))]
        else:  # written freely: "John Quincy Doe"
            parts = tuple(words(group))
            if any(not word.isalpha() for word in parts):
                # A code in a name field: a research pseudonym ("PANCREAS_0001",
                # "ACRIN-FLT-Breast_029"), searched whole by the caller; its words are an organ's.
                continue
            components = [parts[-1:], parts[:1], parts[1:-1]] if len(parts) > 1 else [parts]
        components += [()] * (5 - len(components))
        family, given, middle = components[0], components[1], components[2]
        every = tuple(word for component in components for word in component)
        if not every:
            continue
        forms.append(every)
        if not parts:
            forms += [family + given, given + family] if family and given else []
            continue
        if family and given:
            forms += [family + given, given + family, family + given + middle, given + middle + family]
            if not is_unspaced(given[0]):  # initials: "J. Doe", "Doe J", "J. Q. Doe", "John Q. Doe"
                forms += [(given[0][0], *family), (*family, given[0][0])]
                if middle:
                    forms += [(given[0][0], middle[0][0], *family), given + (middle[0][0],) + family]
        for component in (family, given, middle):
            forms += _name_parts(component)
    return [form for form in dict.fromkeys(forms) if _worth_searching_name(form)]


_DIGRAPHS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "Ø": "Oe"})
_SCANDINAVIAN_AA = str.maketrans({"å": "aa", "Å": "Aa"})
_HAS_DIGRAPH = re.compile("[äöüøåÄÖÜØÅ]")
_FAMILY_JOINS = re.compile(r"[\s'\u2019-]+")
_HYPHENS = re.compile(r"\s*[-\u2010\u2011\u2012\u2013]\s*")


def _spellings(group: str) -> list[str]:
    """A name group as written, and as people also spell it: umlauts as two letters ("Müller" as
    "Mueller", "Øster" as "Oester", "Ångström" as "Aangstroem" or "Angstroem"), and a family name
    of several words, or with an apostrophe or hyphen, written as one ("van der Berg" as
    "vanderBerg", "O'Brien" as "OBrien", "Le Blanc" as "LeBlanc"), and so a given name ("Anne-Marie"
    as "Annemarie"). Each part of a hyphenated family name is a family name of its own, written
    both ways ("Whitfield-O'Hara" gives "Whitfield", "O'Hara" and "OHara"; "van der Berg-O'Neil"
    gives "vanderBerg" and "ONeil"), with its initials forms ("J. vanderBerg"); not a part of fewer
    than :data:`MIN_NAME_PART` letters ("Li" of "Li-Wu": "K. Li" is searched only as "K. Li-Wu"), nor
    one made only of particles ("Van" of "Van-Dyke")."""
    spellings = [group]
    if _HAS_DIGRAPH.search(group):
        umlauts = group.translate(_DIGRAPHS)
        spellings += [umlauts, umlauts.translate(_SCANDINAVIAN_AA)]
    if "^" in group:
        for spelling in list(spellings):
            components = spelling.split("^")
            families = [components[0]]
            parts = _HYPHENS.split(components[0].strip())
            if len(parts) > 1:
                families += [part for part in parts if len(_FAMILY_JOINS.sub("", part)) >= MIN_NAME_PART
                             and not all(word in GENERIC_WORDS for word in words(part))]
            for family in families:
                if family != components[0]:
                    spellings.append("^".join([family] + components[1:]))
                joined = _FAMILY_JOINS.sub("", family)
                if joined != family.strip() and len(joined) >= MIN_NAME_PART:
                    spellings.append("^".join([joined] + components[1:]))
            if len(components) > 1:  # the given name
                joined = _FAMILY_JOINS.sub("", components[1])
                if joined != components[1].strip() and len(joined) >= MIN_NAME_PART:
                    spellings.append("^".join(components[:1] + [joined] + components[2:]))
    return list(dict.fromkeys(spellings))


def _worth_searching_name(form: Form) -> bool:
    if len(form) == 1 and form[0] in GENERIC_WORDS or " ".join(form) in PLACEHOLDERS:
        return False
    if all(is_unspaced(word) for word in form):
        return len(form) >= 2
    return len("".join(form)) >= (MIN_NAME_PART if all(word.isalpha() for word in form) else MIN_TEXT_LENGTH)


def _name_parts(component: Form) -> list[Form]:
    """A name component searched on its own, and its words (a compound family name)."""
    if not component or any(not word.isalpha() for word in component):
        return []  # "CT1", "JANCT000": a code, not a name
    if all(is_unspaced(word) for word in component):
        return [component] if len(component) >= 2 else []  # two ideographs at least: 山田
    parts = [component] if len("".join(component)) >= MIN_NAME_PART else []
    if len(component) > 1:
        parts += [(word,) for word in component if len(word) >= MIN_NAME_PART and not is_unspaced(word)]
    return [part for part in parts if not (len(part) == 1 and part[0] in GENERIC_WORDS)]


@lru_cache(maxsize=4096)
def date_forms(year: int, month: int, day: int) -> tuple[Form, ...]:
    """The written forms of a date: numeric in every order and separator, and with the month's name."""
    try:
        dt.date(year, month, day)
    except ValueError:
        return ()
    yyyy, yy = f"{year:04d}", f"{year % 100:02d}"
    days = dict.fromkeys([f"{day:02d}", str(day)])
    months = dict.fromkeys([f"{month:02d}", str(month)])
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    forms: list[Form] = [(f"{yyyy}{month:02d}{day:02d}",)]
    for d in days:
        for m in months:
            forms += [(yyyy, m, d), (d, m, yyyy), (m, d, yyyy), (d, m, yy), (m, d, yy)]  # ..., 14.3.79, 3/14/79
    dd, mm = f"{day:02d}", f"{month:02d}"
    forms += [(dd + mm + yyyy,), (mm + dd + yyyy,), (dd + mm + yy,), (mm + dd + yy,), (yy + mm + dd,)]  # 14031979
    for name in _MONTHS[month - 1]:
        for d in days:
            forms += [(d, name, yyyy), (d, suffix, name, yyyy), (d, suffix, "of", name, yyyy),
                      (name, d, yyyy), (name, d, suffix, yyyy), (yyyy, name, d), (d, name, yy),  # 14-Mar-79
                      (name, d, yy), (name, d, suffix, yy), (d, suffix, name, yy)]  # Mar 14, '79; 14th Mar 79
    for name in _OTHER_MONTHS[month - 1]:
        for d in days:
            forms += [(d, name, yyyy), (d, "de", name, "de", yyyy)]  # 14 mars 1979, 14 de marzo de 1979
    # Chinese, Japanese and Korean: 1979年3月14日, 79年3月14日, 1979年3月14号, 1979년 3월 14일, and the
    # Japanese era year (昭和54年3月14日, S54.3.14). Each ideograph or hangul is a word of its own.
    era = _japanese_era(year, month, day)
    for d in days:
        for m in months:
            for y in (yyyy, yy):
                forms += [(y, "年", m, "月", d, "日"), (y, "年", m, "月", d, "号"), (y, "년", m, "월", d, "일")]
            if era:
                kanji, letter, era_year = era
                forms.append((*kanji, era_year, "年", m, "月", d, "日"))
                if len(era_year) > 1:  # "S54.3.14" (not "R1.5.1": an h1 or r1 with two numbers is too common)
                    forms.append((letter, era_year, m, d))
    return tuple(dict.fromkeys(forms))


# The Japanese eras since 1912 (name, its letter as in "S54.3.14", first day), newest first.
_JAPANESE_ERAS = (("令和", "r", dt.date(2019, 5, 1)), ("平成", "h", dt.date(1989, 1, 8)),
                  ("昭和", "s", dt.date(1926, 12, 25)), ("大正", "t", dt.date(1912, 7, 30)))


def _japanese_era(year: int, month: int, day: int) -> tuple[str, str, str] | None:
    """(era name, its letter, year of the era) of a date since 1912-07-30, or None."""
    date = dt.date(year, month, day)
    for kanji, letter, first in _JAPANESE_ERAS:
        if date >= first:
            return kanji, letter, str(year - first.year + 1)
    return None


def _significant_number(text: str) -> bool:
    """True for a number (digits with separators) long and varied enough to be searched."""
    digits = len(_NOT_DIGIT.sub("", text))
    return digits >= MIN_NUMBER_LENGTH and digits - text.count("0") >= MIN_NONZERO_DIGITS


def _worth_searching(form: Form) -> bool:
    if not form:
        return False
    text = "".join(form)
    if " ".join(form) in PLACEHOLDERS or (len(form) == 1 and form[0] in GENERIC_WORDS):
        return False
    if text.isdigit():
        # "1.000000" or "100000" is a setting, not an identifier: ask for some varied digits.
        return len(text) >= MIN_NUMBER_LENGTH and len(text) - text.count("0") >= MIN_NONZERO_DIGITS
    if not text.isascii() and all(is_unspaced(word) for word in form):
        return len(form) >= 2
    if all(word.isdigit() or len(word) <= 2 for word in form) and any(word.isdigit() for word in form):
        return len(text) >= MIN_NUMBER_LENGTH  # a written date ("14 3 79") or a coded number
    return len(text) >= MIN_TEXT_LENGTH
