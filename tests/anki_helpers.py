"""Helpers that open real Anki collections (the `anki` backend from PyPI) and import decks into them."""

from __future__ import annotations

import re
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

IMG_SRC = re.compile(r"""<img[^>]*\bsrc=["']?([^"' >]+)""", re.IGNORECASE)


def open_collection(folder: Path, name: str = "collection.anki2") -> Collection:
    """A fresh, empty collection in ``folder`` (its media folder beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / name))


def import_package(col: Collection, package: Path, *, with_scheduling: bool = True,
                   with_deck_configs: bool = False):
    """Import an .apkg the way Anki desktop does (update notes when the incoming copy is newer)."""
    request = ImportAnkiPackageRequest(
        package_path=str(package),
        options=ImportAnkiPackageOptions(with_scheduling=with_scheduling,
                                         with_deck_configs=with_deck_configs),
    )
    return col.import_anki_package(request)


def media_names_in(html: str) -> list[str]:
    """Every image file name an HTML fragment refers to."""
    return IMG_SRC.findall(html)
