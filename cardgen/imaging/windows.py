"""Display windows (VOI): named CT presets and explicit centre/width pairs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """A linear VOI window in modality units (HU for CT). ``name`` is the preset's, if any."""

    center: float
    width: float
    name: str | None = None

    @property
    def label(self) -> str:
        """How the window is shown to a learner: ``lung (W 1500 / L -600)``."""
        numbers = f"W {self.width:g} / L {self.center:g}"
        return f"{self.name} ({numbers})" if self.name else numbers


# Width/level in HU. Sources: OHIF viewer defaults (soft tissue, lung, liver, bone, brain),
# common PACS presets (mediastinum, subdural) and Lev et al., Radiology 1999 (stroke 8/32,
# the narrow window that shows early ischaemic change).
PRESETS: dict[str, Window] = {
    "soft_tissue": Window(center=40, width=400, name="soft_tissue"),
    "lung": Window(center=-600, width=1500, name="lung"),
    "mediastinum": Window(center=50, width=350, name="mediastinum"),
    "liver": Window(center=90, width=150, name="liver"),
    "bone": Window(center=480, width=2500, name="bone"),
    "brain": Window(center=40, width=80, name="brain"),
    "subdural": Window(center=75, width=200, name="subdural"),
    "stroke": Window(center=32, width=8, name="stroke"),
}

# Spellings an educator is likely to type for the same preset.
ALIASES: dict[str, str] = {"soft tissue": "soft_tissue", "soft-tissue": "soft_tissue", "abdomen": "soft_tissue"}


def preset(name: str) -> Window | None:
    """The preset called ``name`` (case-insensitive, with common aliases), or None."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    return PRESETS.get(key)
