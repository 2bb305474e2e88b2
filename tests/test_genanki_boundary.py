"""One genanki boundary: cards/ makes plain data (GUIDs, notetypes, note specs) and only
cardgen/deck/collection.py imports genanki."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import genanki
import genanki.util
from hypothesis import given
from hypothesis import strategies as st

from cardgen.cards.guids import guid_for, note_guid
from cardgen.cards.notetypes import NoteKind, notetype
from cardgen.deck.collection import model_of

PACKAGE = Path(__file__).resolve().parent.parent / "cardgen"


@given(st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none()), max_size=5))
def test_guid_for_is_genankis(values: list[object]) -> None:
    # Every deck so far was built with genanki's guid_for: a note's GUID must not change.
    assert guid_for(*values) == genanki.util.guid_for(*values)


def test_note_guids_are_the_ones_decks_were_built_with() -> None:
    assert note_guid("chest-01", NoteKind.CASE) == genanki.guid_for("cardgen", "chest-01", "case", 0)
    assert note_guid("chest-01", NoteKind.FINDING, 2) == genanki.guid_for("cardgen", "chest-01", "finding", 2)


def test_notetypes_become_genanki_models_with_their_ids_names_and_fields() -> None:
    for kind in NoteKind:
        description, model = notetype(kind), model_of(kind)
        assert (model.model_id, model.name) == (description.model_id, description.name)
        assert [field["name"] for field in model.fields] == [field.name for field in description.fields]
        assert model.model_type == (genanki.Model.CLOZE if kind is NoteKind.OCCLUSION else genanki.Model.FRONT_BACK)


def test_making_notes_loads_no_genanki() -> None:
    code = ("import sys, cardgen.cards.notes, cardgen.cards.guids, cardgen.cards.occlusion, cardgen.cards.notetypes\n"
            "from cardgen.cards.notetypes import NoteKind, notetype\n"
            "[notetype(kind) for kind in NoteKind]\n"
            "print('genanki' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_only_the_deck_collection_module_imports_genanki() -> None:
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name == "genanki" or name.startswith("genanki.") for name in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers == {"deck/collection.py"}
