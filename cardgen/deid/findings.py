"""What an audit reports: one :class:`AuditHit` per place a possible identifier was found, and
:class:`AuditFailed`, which lists them one line per value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cardgen.errors import CardgenError


@dataclass(frozen=True, order=True)
class AuditHit:
    """One finding: where in the package, the text found, and why it counts."""

    where: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}: {self.value!r}"


class AuditFailed(CardgenError):
    """The deck carries something that may identify a patient; it must not be shared."""

    def __init__(self, package: Path, hits: list[AuditHit], hint: str | None = None) -> None:
        self.package = package
        self.hits = hits
        lines = grouped(hits)
        shown = [f"  {line}" for line in lines[:20]]
        if len(lines) > 20:
            shown.append(f"  ... and {len(lines) - 20} more")
        if hint:
            shown.append(hint)
        super().__init__("\n".join([f"{package}: de-identification audit found {len(lines)} "
                                    "possible identifier(s):", *shown]))


def grouped(hits: list[AuditHit]) -> list[str]:
    """One line per value found (not one per note that repeats it): the value, why it counts, the
    first place it was found and how many more."""
    places: dict[tuple[str, str], list[str]] = {}
    for hit in sorted(hits):
        places.setdefault((hit.value, hit.reason), []).append(hit.where)
    lines = []
    for (value, reason), wheres in places.items():
        more = f" (and {len(wheres) - 1} more place(s))" if len(wheres) > 1 else ""
        lines.append(f"{reason}: {value!r} at {wheres[0]}{more}")
    return lines
