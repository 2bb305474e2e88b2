"""Identifiers known by their shape alone: text that looks like a DICOM UID, date or person name.

The audit looks for these in every text of a package, with no source file needed: a UID, a date
written the DICOM way (YYYYMMDD) or a name written the DICOM way (Family^Given) has no place on a
card. Values read from the source headers are matched by :mod:`cardgen.deid.matcher` instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A DICOM UID: a root 0, 1 or 2 and at least four more numeric components (1.2.840.10008.x...),
# or a UUID-derived UID under 2.25.
UID_PATTERN = re.compile(r"(?<![\d.])[012](?:\.\d+){4,}(?![\d.])|(?<![\d.])2\.25\.\d{6,}(?![\d.])")
# A date as DICOM writes it (DA, or the start of DT), years 1900-2099.
DICOM_DATE_PATTERN = re.compile(r"(?<!\d)(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)")
# A person name as DICOM writes it (PN): Family^Given, letters only.
DICOM_NAME_PATTERN = re.compile(
    r"(?<![\w^])[^\W\d_][^\W\d_'\-]*\^[^\W\d_][^\W\d_'\-]*(?:\^[^\W\d_'\-]*)*(?![\w^])")

SHAPE_PATTERNS = (
    (UID_PATTERN, "looks like a DICOM UID"),
    (DICOM_DATE_PATTERN, "looks like a date in DICOM form (YYYYMMDD)"),
    (DICOM_NAME_PATTERN, "looks like a person name in DICOM form (Family^Given)"),
)

# Every match of a shape pattern holds one of these: a digit, a dot and a digit (UIDs), eight digits
# in a row (dates), a caret (names). Text with none of them is not run through the three patterns.
SHAPE_HINT = re.compile(r"\d\.\d|\d{8}|\^")


def identifier_shapes(text: str) -> Iterator[tuple[str, str]]:
    """Each (text found, why it counts) in ``text`` that has the shape of an identifier."""
    if SHAPE_HINT.search(text):
        for pattern, reason in SHAPE_PATTERNS:
            for match in pattern.finditer(text):
                yield match.group(0), reason
