"""The support tables of docs/dicom-display.md say what the code does.

Test data: the example files named in the tables, from pydicom's bundled test data (in the wheel);
for unsupported syntaxes, MR_small.dcm (pydicom wheel) relabelled with that syntax.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pydicom
import pydicom.data
import pytest

from cardgen.errors import InputError
from cardgen.imaging.decode import SYNTAXES
from cardgen.imaging.display import render_frame
from cardgen.imaging.windows import PRESETS

DOC = Path(__file__).resolve().parent.parent / "docs" / "dicom-display.md"
TEST_FILES = Path(pydicom.data.__file__).parent / "test_files"


def _table(heading: str) -> list[list[str]]:
    """Rows (cells stripped) of the first table after ``## heading``."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"## {heading}")
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header row


def _example(name: str) -> Path:
    found = [p for p in TEST_FILES.rglob(name) if p.is_file()]
    assert len(found) == 1, name
    return found[0]


def _read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _uids(cell: str) -> list[str]:
    if "-" in cell:  # a range such as 1.2.840.10008.1.2.4.100-108
        stem, last = cell.rsplit("-", 1)
        base, first = stem.rsplit(".", 1)
        return [f"{base}.{n}" for n in range(int(first), int(last) + 1)]
    return [cell]


SYNTAX_ROWS = _table("Transfer syntaxes")


def test_every_known_syntax_is_in_the_table():
    listed = [uid for row in SYNTAX_ROWS for uid in _uids(row[1])]
    assert sorted(listed) == sorted(SYNTAXES)


@pytest.mark.parametrize("row", SYNTAX_ROWS, ids=lambda row: row[1])
def test_transfer_syntax_row(row):
    name, uid_cell, supported, _decoder, example = row
    for uid in _uids(uid_cell):
        assert SYNTAXES[uid].decodable is supported.startswith("yes")
    if supported == "yes":
        ds = _read(_example(example))
        assert ds.file_meta.TransferSyntaxUID == uid_cell
        assert render_frame(ds, 0).size == (ds.Columns, ds.Rows)
    elif supported == "no":
        for uid in _uids(uid_cell):
            ds = _read(TEST_FILES / "MR_small.dcm")
            ds.file_meta.TransferSyntaxUID = uid
            with pytest.raises(InputError, match=uid.replace(".", r"\.")):
                render_frame(ds, 0)
    else:
        assert supported == "yes, no sample file" and not example
        from pydicom.pixels import get_decoder

        assert get_decoder(uid_cell).is_available


@pytest.mark.parametrize("row", _table("Photometric interpretations"), ids=lambda row: row[0])
def test_photometric_row(row):
    name, supported, shown_as, example = row
    if supported == "yes":
        ds = _read(_example(example))
        assert str(ds.PhotometricInterpretation) == name.split(" (")[0]
        assert render_frame(ds, 0).mode == ("L" if shown_as.startswith("greyscale") else "RGB")
    elif supported == "no":
        for photometric in name.split(", "):
            ds = _read(TEST_FILES / "SC_ybr_full_422_uncompressed.dcm")
            ds.PhotometricInterpretation = photometric
            with pytest.raises(InputError, match=photometric):
                render_frame(ds, 0)


def test_preset_table_matches_the_code():
    rows = _table("Window presets")
    assert {r[0]: (float(r[1]), float(r[2])) for r in rows} == {
        name: (w.width, w.center) for name, w in PRESETS.items()}
