"""DICOM element values as code can use them, whatever multiplicity the file wrote.

pydicom gives an element of one value as the value itself and one of several as a ``MultiValue``;
files from other tools write multi-valued attributes with one value, or none. Every reader of an
element that may hold several values goes through :func:`element_values`.
"""

from __future__ import annotations

import math


def element_values(value) -> list:
    """The values of a DICOM element as a list: none for an absent or empty element, the value
    itself for one (pydicom gives it unwrapped), each value for several (a ``MultiValue``)."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return list(value)
    return [value]


def fixed_numbers(value, count: int) -> tuple[float, ...] | None:
    """The ``count`` numbers of a multi-valued attribute (Image Position, Image Orientation, Pixel
    Spacing), or None when it holds another number of values, or one that is not a finite number:
    files from other tools write such attributes with one value, or none, and the geometry they
    describe is then unknown rather than an error."""
    try:
        numbers = tuple(float(v) for v in element_values(value))
    except (TypeError, ValueError):
        return None
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        return None
    return numbers
