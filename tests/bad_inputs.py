"""A corpus of bad inputs for ``cardgen build``: how to make each one, and what its error must say.

Every entry writes a cases folder under a test's ``tmp_path``; nothing binary is committed. The
images come from the pydicom wheel (``pydicom.data.get_testdata_file``):

- ``CT_small.dcm``: 128 x 128 axial CT, Explicit VR Little Endian, no Burned In Annotation. The good
  case of :mod:`tests.sample_cases` uses it; most entries change that case's YAML or damage a copy.
- ``JPEG-lossy.dcm``: JPEG Extended (1.2.840.10008.1.2.4.51), a 12-bit stream; with its Huffman
  table marker damaged, no installed decoder reads it.

PNG files are generated with Pillow (or by hand, for the decompression bomb). ``words`` are pieces
the one-line error must contain: the file, the field or DICOM tag, the value and the problem.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pydicom
from PIL import Image
from pydicom.data import get_testdata_file

from tests.sample_cases import CT_SMALL, GOOD_CASE, REPO, write_case

CURRICULUM = REPO / "decks" / "curricula" / "esr-level1.yaml"
JPEG_LOSSY = Path(get_testdata_file("JPEG-lossy.dcm"))

Maker = Callable[[Path], None]  # writes one or more case folders under the cases folder it is given


@dataclass(frozen=True)
class BadInput:
    """One bad input: how to make it, and the words its error message must contain."""

    name: str
    make: Maker
    words: tuple[str, ...]
    args: tuple[str, ...] = field(default=())  # extra CLI options
    env: tuple[tuple[str, str], ...] = field(default=())  # environment variables of the build


def good(case_id: str = "a-1") -> str:
    """The good case's YAML (see :data:`tests.sample_cases.GOOD_CASE`)."""
    return GOOD_CASE.format(case_id=case_id)


def yaml_edit(old: str, new: str) -> Maker:
    """The good case with ``old`` replaced by ``new`` in its YAML (``old`` must be there)."""

    def make(cases: Path) -> None:
        text = good()
        assert old in text, old
        write_case(cases, "a", text.replace(old, new))

    return make


def yaml_text(text: str) -> Maker:
    """A case whose case.yaml is exactly ``text`` (CT_small.dcm beside it as ct.dcm)."""
    return lambda cases: write_case(cases, "a", text)


def yaml_bytes(data: bytes) -> Maker:
    def make(cases: Path) -> None:
        folder = write_case(cases, "a", "")
        (folder / "case.yaml").write_bytes(data)

    return make


def image_bytes(make_bytes: Callable[[], bytes], name: str = "ct.dcm", yaml: str | None = None) -> Maker:
    """The good case (or ``yaml``) with its image replaced by ``make_bytes()`` under ``name``."""

    def make(cases: Path) -> None:
        text = yaml if yaml is not None else good()
        folder = write_case(cases, "a", text, image=None)
        (folder / name).write_bytes(make_bytes())

    return make


def dicom_edit(edit: Callable[[pydicom.Dataset], None]) -> Callable[[], bytes]:
    """CT_small.dcm with ``edit`` applied, as bytes."""

    def make() -> bytes:
        from io import BytesIO

        ds = pydicom.dcmread(CT_SMALL)
        edit(ds)
        out = BytesIO()
        ds.save_as(out, enforce_file_format=False)
        return out.getvalue()

    return make


def truncated(fraction: float) -> Callable[[], bytes]:
    def make() -> bytes:
        data = CT_SMALL.read_bytes()
        return data[: int(len(data) * fraction)]

    return make


def patched(group: int, element: int, value: bytes, vr: bytes | None = None) -> Callable[[], bytes]:
    """CT_small.dcm with one (explicit VR, short form) element's value, and optionally its VR code,
    replaced byte for byte: pydicom would refuse to write such a file itself."""

    def make() -> bytes:
        data = CT_SMALL.read_bytes()
        tag = struct.pack("<HH", group, element)
        at = data.index(tag, 132)  # past the preamble; the dataset has no group length elements
        old_vr = data[at + 4: at + 6]
        length = struct.unpack("<H", data[at + 6: at + 8])[0]
        head = tag + (vr or old_vr) + struct.pack("<H", len(value))
        return data[:at] + head + value + data[at + 8 + length:]

    return make


def rle_dicom_of(rows: int, columns: int) -> Callable[[], bytes]:
    """CT_small.dcm made ``rows`` x ``columns``, its pixels RLE-compressed: one segment of long runs
    of zeros, a few kB standing for hundreds of megabytes (written by hand: the RLE encoder would
    hold the whole image)."""

    def make() -> bytes:
        from io import BytesIO

        from pydicom.encaps import encapsulate
        from pydicom.uid import RLELossless

        run = b"\x81\x00"  # PackBits: repeat the next byte 128 times
        segment = run * (rows * columns // 128 + 1)
        header = struct.pack("<16I", 1, 64, *([0] * 14))
        ds = pydicom.dcmread(CT_SMALL)
        ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = rows, columns, 8, 8, 7
        ds.PixelRepresentation = 0
        ds.PixelData = encapsulate([header + segment])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = RLELossless
        out = BytesIO()
        ds.save_as(out, enforce_file_format=False)
        return out.getvalue()

    return make


def png_bytes(size: tuple[int, int] = (128, 128)) -> bytes:
    from io import BytesIO

    out = BytesIO()
    Image.new("L", size, 128).save(out, format="PNG")
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG of ``width`` x ``height`` black 1-bit pixels: a few kB on disk, 400 megapixels decoded.

    Written by hand so the test never holds the decoded image in memory.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + bytes((width + 7) // 8)  # filter byte 0, then the packed 1-bit row
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def frame_beyond_with_annotations(cases: Path) -> None:
    """A frame the file does not have (3 of frames 0-2), on an image whose presentation state draws on
    each frame: the state's "nothing on this frame" hid the real mistake."""
    import highdicom as hd
    import numpy as np

    image = pydicom.dcmread(CT_SMALL)
    image.NumberOfFrames, image.PixelData = 3, image.PixelData * 3
    folder = write_case(cases, "a", good().replace("window: bone", "window: bone\n    frame: 3").split("findings:")[0]
                        + "annotations:\n  - file: annotations.dcm\n", image=None)
    image.save_as(folder / "ct.dcm")
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    drawn = []
    for frame, x in ((1, 20.0), (2, 60.0), (3, 100.0)):
        circle = hd.pr.GraphicObject(hd.pr.GraphicTypeValues.CIRCLE, np.array([[x, 64.0], [x + 5, 64.0]]),
                                     units=hd.pr.AnnotationUnitsValues.PIXEL, tracking_id=f"F{frame}",
                                     tracking_uid=hd.UID())
        annotation = hd.pr.GraphicAnnotation(referenced_images=[image], graphic_layer=layer, graphic_objects=[circle])
        annotation.ReferencedImageSequence[0].ReferencedFrameNumber = frame
        drawn.append(annotation)
    hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[image], series_instance_uid=hd.UID(), series_number=2, sop_instance_uid=hd.UID(),
        instance_number=1, manufacturer="cardgen tests", manufacturer_model_name="tests", software_versions="1",
        device_serial_number="1", content_label="FRAMES", graphic_layers=[layer], graphic_annotations=drawn,
    ).save_as(folder / "annotations.dcm")


def two_cases(first: str, second: str) -> Maker:
    def make(cases: Path) -> None:
        write_case(cases, "a", first)
        write_case(cases, "b", second)

    return make


def symlink_out(cases: Path) -> None:
    """A case whose image is a link to a DICOM file outside its folder."""
    folder = write_case(cases, "a", good(), image=None)
    outside = cases.parent / "elsewhere.dcm"
    outside.write_bytes(CT_SMALL.read_bytes())
    os.symlink(outside, folder / "ct.dcm")


def series_member_links_out(cases: Path) -> None:
    """A series folder (three slices of tests.test_build_stacks) whose middle slice is a link to
    another patient's slice outside the case folder: the folder itself passes the path check."""
    from tests.test_build_stacks import _write_series

    folder = write_case(cases, "a", good().replace("file: ct.dcm", "file: series").replace(
        "    window: bone\n", "    window: bone\n    frames: all\n"), image=None)
    _write_series(folder / "series")
    outside = cases.parent / "other-patient.dcm"
    (folder / "series" / "slice-1.dcm").rename(outside)
    os.symlink(outside, folder / "series" / "slice-1.dcm")


def with_csv_curriculum(rows: list[str]) -> Maker:
    """The good case (topic msk.spine) and ``{tmp}/curriculum.csv``: the header, ``msk`` and
    ``msk.spine``, then ``rows`` (give ``--curriculum {tmp}/curriculum.csv``)."""

    def make(cases: Path) -> None:
        write_case(cases, "a", good())
        lines = ["id,title,parent", "msk,Musculoskeletal,", "msk.spine,Spine,msk", *rows]
        (cases.parent / "curriculum.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return make


CSV_CURRICULUM = ("--curriculum", "{tmp}/curriculum.csv")


def absolute_path(cases: Path) -> None:
    outside = cases.parent / "elsewhere.dcm"
    outside.write_bytes(CT_SMALL.read_bytes())
    write_case(cases, "a", good().replace("file: ct.dcm", f"file: {outside}"))


def alias_bomb() -> str:
    """A "billion laughs" YAML document: 9 aliases per level, 9 levels, under 1 KB; 387 million
    strings if its aliases were expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def planted(header: dict[str, object], old: str, new: str) -> Maker:
    """The good case with ``old`` replaced by ``new`` in its YAML and CT_small.dcm's header given
    ``header`` (keywords and values): an identifier of the header written into the case's text."""

    def edit(ds: pydicom.Dataset) -> None:
        ds.SpecificCharacterSet = "ISO_IR 192"
        for keyword, value in header.items():
            setattr(ds, keyword, value)

    text = good()
    assert old in text, old
    return image_bytes(dicom_edit(edit), yaml=text.replace(old, new))


def private_planted(creator: str, value: str, old: str, new: str) -> Maker:
    """Like :func:`planted`, with a private block ``creator`` holding ``value`` (LO)."""

    def edit(ds: pydicom.Dataset) -> None:
        ds.private_block(0x0011, creator, create=True).add_new(0x01, "LO", value)

    text = good()
    assert old in text, old
    return image_bytes(dicom_edit(edit), yaml=text.replace(old, new))


PNG_CASE = good().replace("file: ct.dcm", "file: shot.png").replace("    window: bone\n", "")
PNG_REVIEWED = PNG_CASE.replace("id: axial\n", "id: axial\n    burned_in: reviewed\n")


BAD_INPUTS: list[BadInput] = [
    # --- DICOM files -----------------------------------------------------------------------------
    BadInput("truncated DICOM (in the pixel data)", image_bytes(truncated(0.6)),
             ("ct.dcm", "truncated", "export it again")),
    BadInput("truncated DICOM (in the header)", image_bytes(truncated(0.01)),
             ("ct.dcm", "the file is cut short", "needs", "truncated")),
    # Found by mutating the sample cases' files: cut inside an element's 4-byte length field,
    # pydicom raises struct.error (not a ValueError), which was a traceback.
    BadInput("truncated DICOM (inside an element's length)", image_bytes(lambda: CT_SMALL.read_bytes()[:992]),
             ("ct.dcm", "cannot read the DICOM file", "export it again")),
    BadInput("zero-byte DICOM", image_bytes(lambda: b""),
             ("ct.dcm", "the file is empty (0 bytes)", "export the image again")),
    BadInput("not DICOM at all", image_bytes(lambda: b"hello, I am text\n" * 20),
             ("ct.dcm", "not a DICOM file")),
    BadInput("DICOM without pixel data", image_bytes(dicom_edit(lambda ds: ds.__delitem__("PixelData"))),
             ("ct.dcm", "no pixel data", "(7FE0,0010)")),
    BadInput("a 12-bit JPEG stream no installed decoder reads (JPEG-lossy.dcm, its DHT marker damaged)",
             # A secondary capture: burned-in text must be reviewed before it is decoded at all.
             image_bytes(lambda: JPEG_LOSSY.read_bytes().replace(b"\xff\xc4", b"\xff\xc8", 1),
                         yaml=good().replace("window: bone", "burned_in: reviewed")),
             ("ct.dcm", "JPEG Extended", "1.2.840.10008.1.2.4.51", "dcmdjpeg")),
    BadInput("unknown VR code in the header", image_bytes(patched(0x0028, 0x0010, b"\x80\x00", vr=b"ZZ")),
             ("ct.dcm: (0028,0010): damaged DICOM header", "Unknown Value Representation 'ZZ'")),
    BadInput("Rows one byte long (US needs two)", image_bytes(patched(0x0028, 0x0010, b"\x00")),
             ("ct.dcm: (0028,0010): damaged DICOM header", "VR 'US'")),
    BadInput("Rescale Intercept that is not a number", image_bytes(patched(0x0028, 0x1052, b"abc ")),
             ("ct.dcm", "(0028,1052)", "'abc'")),
    BadInput("frame beyond the file", yaml_edit("window: bone", "window: bone\n    frame: 5"),
             ("case.yaml", "images[0].frame", "frame 5 does not exist")),
    BadInput("frame beyond the file, with an annotation object on each frame", frame_beyond_with_annotations,
             ("case.yaml", "images[0].frame", "frame 3 does not exist", "use 0 to 2")),
    BadInput("burned-in MAYBE without review",
             image_bytes(dicom_edit(lambda ds: setattr(ds, "BurnedInAnnotation", "MAYBE"))),
             ("ct.dcm", "(0028,0301)", "is 'MAYBE', neither YES nor NO", "burned_in: reviewed")),
    BadInput("burned-in YES without review",
             image_bytes(dicom_edit(lambda ds: setattr(ds, "BurnedInAnnotation", "YES"))),
             ("ct.dcm", "(0028,0301)", "burned_in: reviewed")),
    # --- raster images ---------------------------------------------------------------------------
    BadInput("zero-byte PNG", image_bytes(lambda: b"", name="shot.png", yaml=PNG_REVIEWED),
             ("shot.png", "the file is empty (0 bytes)", "export the image again")),
    BadInput("PNG decompression bomb (20000 x 20000 in 50 kB, refused by Pillow)",
             image_bytes(png_bomb, name="shot.png", yaml=PNG_REVIEWED),
             ("shot.png", "over the limit of 64,000,000 pixels", "downscale")),
    BadInput("PNG of 65 megapixels (under Pillow's limit, over cardgen's)",
             image_bytes(lambda: png_bomb(13_000, 5_000), name="shot.png", yaml=PNG_REVIEWED),
             ("shot.png", "13000x5000", "over the limit of 64,000,000", "downscale")),
    BadInput("PNG export without burned-in review",
             image_bytes(png_bytes, name="shot.png", yaml=PNG_CASE),
             ("shot.png", "burned_in: reviewed")),
    # --- case.yaml: the file itself --------------------------------------------------------------
    BadInput("case.yaml not UTF-8", yaml_bytes(good().replace("Test history.", "caf\xe9").encode("latin-1")),
             ("case.yaml", "not UTF-8", "save it as UTF-8")),
    BadInput("case.yaml empty", yaml_text(""),
             ("case.yaml", "the file is empty", "'id:', 'title:' and 'images:'")),
    BadInput("case.yaml is a list", yaml_text("- id: a\n- title: b\n"),
             ("case.yaml", "a case is a mapping", "list")),
    BadInput("YAML tag that runs a command", yaml_text("id: !!python/object/apply:os.system ['touch pwned']\n"),
             ("case.yaml", "invalid YAML", "python/object/apply:os.system", "case.yaml:1:")),
    BadInput("YAML tag that builds an object", yaml_edit("title: Vertebral body",
                                                        "title: !!python/object:pathlib.Path {}"),
             ("case.yaml", "invalid YAML", "python/object:pathlib.Path")),
    # --- case.yaml: missing fields ---------------------------------------------------------------
    BadInput("missing id", yaml_edit("id: a-1\n", ""), ("case.yaml", "id", "missing required field")),
    BadInput("empty title", yaml_edit("title: Vertebral body", "title: '  '"),
             ("case.yaml", "title", "may not be empty")),
    BadInput("image without file", yaml_edit("  - file: ct.dcm\n    id: axial", "  - id: axial"),
             ("case.yaml", "images[0].file", "missing required field")),
    BadInput("finding without text", yaml_edit("  - text: Vertebral body\n    image: axial", "  - image: axial"),
             ("case.yaml", "findings[0].text", "missing required field")),
    BadInput("shape without kind", yaml_edit("kind: ellipse, ", ""),
             ("case.yaml", "findings[0].shapes[0].kind", "missing shape kind", "rect | ellipse")),
    BadInput("rect without height", yaml_edit("kind: ellipse, x: 42, y: 4, width: 40, height: 38",
                                              "kind: rect, x: 42, y: 4, width: 40"),
             ("case.yaml", "findings[0].shapes[0].height", "missing required field")),
    BadInput("finding on an unknown image", yaml_edit("    image: axial\n", "    image: coronal\n"),
             ("case.yaml", "findings[0].image", "'coronal'", "no image with this id", "known: axial")),
    # --- case.yaml: wrong types ------------------------------------------------------------------
    BadInput("images is a string", yaml_text("id: a-1\ntitle: T\nimages: ct.dcm\n"),
             ("case.yaml", "images", "expected a list", "'ct.dcm'")),
    BadInput("title is a list", yaml_edit("title: Vertebral body", "title: [a, b]"),
             ("case.yaml", "title", "expected text", "[a, b]")),
    BadInput("topics is a mapping", yaml_edit("topics: [msk.spine]", "topics: {msk: spine}"),
             ("case.yaml", "topics", "expected a list")),
    BadInput("shape x is text", yaml_edit("x: 42", "x: forty"),
             ("case.yaml", "findings[0].shapes[0].x", "expected a number", "'forty'")),
    BadInput("shape x is true", yaml_edit("x: 42", "x: yes"),
             ("case.yaml", "findings[0].shapes[0].x", "expected a number", "true")),
    BadInput("file name is a number", yaml_edit("file: ct.dcm", "file: 12"),
             ("case.yaml", "images[0].file", "'12'", "does not exist")),
    BadInput("frame is negative", yaml_edit("window: bone", "window: bone\n    frame: -1"),
             ("case.yaml", "images[0].frame", "whole number", "-1")),
    BadInput("window is a number", yaml_edit("window: bone", "window: 400"),
             ("case.yaml", "images[0].window", "400")),
    BadInput("window width is negative", yaml_edit("window: bone", "window: {center: 40, width: -5}"),
             ("case.yaml", "images[0].window", "width", "-5")),
    BadInput("difficulty is a list", yaml_edit("difficulty: easy", "difficulty: [easy]"),
             ("case.yaml", "difficulty", "easy | medium | hard")),
    BadInput("finding is a string", yaml_edit("  - text: Vertebral body\n    image: axial\n    shapes:\n"
                                              "      - {kind: ellipse, x: 42, y: 4, width: 40, height: 38}\n",
                                              "  - Vertebral body\n"),
             ("case.yaml", "findings[0]", "expected a mapping", "'Vertebral body'")),
    BadInput("polygon with two points", yaml_edit("{kind: ellipse, x: 42, y: 4, width: 40, height: 38}",
                                                  "{kind: polygon, points: [[1, 2], [3, 4]]}"),
             ("case.yaml", "findings[0].shapes[0].points", "at least 3 points")),
    BadInput("arrow point is a string", yaml_edit("{kind: ellipse, x: 42, y: 4, width: 40, height: 38}",
                                                  "{kind: arrow, from: '1,2', to: [3, 4]}"),
             ("case.yaml", "findings[0].shapes[0].from", "expected a point [x, y]", "'1,2'")),
    BadInput("burned_in says yes", yaml_edit("window: bone", "window: bone\n    burned_in: yes"),
             ("case.yaml", "images[0].burned_in", "may only say 'reviewed'", "true")),
    BadInput("unknown occlusion mode", yaml_text(good() + "occlusion: hide_some\n"),
             ("case.yaml", "occlusion", "'hide_some'", "hide_all | hide_one")),
    BadInput("case id with spaces", yaml_edit("id: a-1", "id: a 1"),
             ("case.yaml", "id", "'a 1'", "spaces")),
    # --- shapes out of bounds --------------------------------------------------------------------
    # (a shape only partly outside is clipped: tests/test_clip.py)
    BadInput("ellipse wholly past the right edge", yaml_edit("x: 42, y: 4", "x: 130, y: 4"),
             ("case.yaml", "findings[0].shapes[0]", "outside the 128x128 image")),
    BadInput("polygon above the image", yaml_edit("{kind: ellipse, x: 42, y: 4, width: 40, height: 38}",
                                                  "{kind: polygon, points: [[1, -2], [30, -9], [15, -25]]}"),
             ("case.yaml", "findings[0].shapes[0]", "outside the 128x128 image", "above the image (y -25 to -2)",
              "{kind: polygon, points: [[1, -2], [30, -9], [15, -25]]}")),
    BadInput("arrow tip outside", yaml_edit("{kind: ellipse, x: 42, y: 4, width: 40, height: 38}",
                                            "{kind: arrow, from: [10, 10], to: [500, 40]}"),
             ("case.yaml", "findings[0].shapes[0]", "outside the 128x128 image")),
    BadInput("shape with zero width", yaml_edit("width: 40", "width: 0"),
             ("case.yaml", "findings[0].shapes[0]", "must be positive")),
    BadInput("shape at NaN", yaml_edit("x: 42", "x: .nan"),
             ("case.yaml", "findings[0].shapes[0].x", "finite number", "nan")),
    BadInput("mask outside the image", yaml_edit("window: bone", "window: bone\n    mask: [{x: 100, y: 0, width: 60, height: 10}]"),
             ("case.yaml", "images[0].mask[0]", "outside the 128x128 image")),
    # --- ids and topics --------------------------------------------------------------------------
    BadInput("duplicate case ids", two_cases(good("same"), good("same")),
             ("duplicate case id", str(Path("a") / "case.yaml"), str(Path("b") / "case.yaml"), "'same'")),
    BadInput("duplicate image ids", yaml_edit("    window: bone\n", "    window: bone\n  - file: ct.dcm\n    id: axial\n"),
             ("case.yaml", "images[1].id", "duplicate id", "'axial'")),
    BadInput("unknown topic", yaml_edit("msk.spine", "msk.spin"),
             ("case.yaml", "topics[0]", "unknown curriculum topic", "'msk.spin'", "msk.spine"),
             args=("--curriculum", str(CURRICULUM))),
    # --- files outside the case folder -----------------------------------------------------------
    BadInput("path traversal ../x.dcm", yaml_edit("file: ct.dcm", "file: ../x.dcm"),
             ("case.yaml", "images[0].file", "'../x.dcm'", "'..' would leave the case folder")),
    BadInput("absolute path", absolute_path,
             ("case.yaml", "images[0].file", "elsewhere.dcm", "absolute paths are not allowed")),
    BadInput("symlink out of the case folder", symlink_out,
             ("case.yaml", "images[0].file", "'ct.dcm'", "link that leads outside the case folder")),
    BadInput("symlink inside a series folder to a file outside the case", series_member_links_out,
             ("slice-1.dcm", "link that leads outside the case folder")),
    BadInput("missing image file", yaml_edit("file: ct.dcm", "file: CT.dcm"),
             ("case.yaml", "images[0].file", "'CT.dcm'", "does not exist", "did you mean 'ct.dcm'")),
    # --- control characters (Anki's field separator U+001F would split a field) ----------------------
    BadInput("field separator in the history", yaml_edit("history: Test history.", 'history: "Test\\x1fhistory"'),
             ("case.yaml", "case.yaml:3", "control character U+001F", "remove it")),
    BadInput("field separator in a finding", yaml_edit("  - text: Vertebral body", '  - text: "Body\\x1f"'),
             ("case.yaml", "case.yaml:12", "control character U+001F")),
    BadInput("NUL in the title", yaml_edit("title: Vertebral body", 'title: "Vertebral\\0body"'),
             ("case.yaml", "case.yaml:2", "control character U+0000")),
    BadInput("escape character in a differential item", yaml_text(good() + 'differential: ["a\\eb"]\n'),
             ("case.yaml", "control character U+001B")),
    BadInput("C1 control in a shape label", yaml_edit("height: 38}", 'height: 38, label: "x\\x85y"}'),
             ("case.yaml", "control character U+0085")),
    BadInput("control character in a mapping key", yaml_text(good() + '"ke\\x1fy": 1\n'),
             ("case.yaml", "control character U+001F")),
    BadInput("right-to-left override hiding a name in the history",
             yaml_edit("history: Test history.", 'history: "Seen by Dr \\u202ebarqyZ\\u202c."'),
             ("case.yaml", "case.yaml:3", "direction override U+202E", "can hide a name")),
    # --- case ids that would share one cardgen::case:: tag -------------------------------------------
    BadInput("case ids that differ by letter case", two_cases(good("Chest-1"), good("chest-1")),
             ("same tag cardgen::case::chest-1", "'Chest-1'", "'chest-1'", str(Path("a") / "case.yaml"),
              str(Path("b") / "case.yaml"))),
    BadInput("case ids that become the same tag word", two_cases(good("chest+001"), good("chest_001")),
             ("same tag cardgen::case::chest_001", "'chest+001'", str(Path("a") / "case.yaml"),
              str(Path("b") / "case.yaml"))),
    BadInput("case id with a zero-width space", yaml_edit("id: a-1", 'id: "a\\u200b-1"'),
             ("case.yaml", "id", "invisible characters", "a\\u200b-1")),
    BadInput("case id with a soft hyphen", yaml_edit("id: a-1", 'id: "a\\u00ad1"'),
             ("case.yaml", "id", "invisible characters")),
    BadInput("topic id with a space", yaml_edit("topics: [msk.spine]", "topics: ['msk spine']"),
             ("case.yaml", "topics[0]", "'msk spine'", "may not contain spaces")),
    BadInput("topic id with an ideographic space", yaml_edit("topics: [msk.spine]", "topics: ['msk\u3000spine']"),
             ("case.yaml", "topics[0]", "may not contain spaces")),
    BadInput("topic id with an empty part", yaml_edit("topics: [msk.spine]", "topics: [msk..spine]"),
             ("case.yaml", "topics[0]", "'msk..spine'", "empty parts")),
    # --- resource bounds -----------------------------------------------------------------------------
    BadInput("YAML alias bomb (1 KB, 387 million values)", yaml_text(good() + alias_bomb()),
             ("case.yaml", "case.yaml:2", "more than 200,000 values", "aliases")),
    BadInput("YAML alias bomb under a known field", yaml_text(alias_bomb() + good().replace(
        "title: Vertebral body", "title: *l8")), ("case.yaml", "more than 200,000 values")),
    BadInput("YAML alias cycle", yaml_text(good() + "z: &z [*z]\n"),
             ("case.yaml", "case.yaml:16", "an alias refers to a value that contains it")),
    BadInput("YAML lists nested 20,000 deep", yaml_text(good() + "x: " + "[" * 20_000 + "]" * 20_000 + "\n"),
             ("case.yaml", "case.yaml:16", "nested more than 64 levels deep")),
    BadInput("YAML mappings nested 20,000 deep", yaml_text(good() + "x: " + "{a: " * 20_000 + "1" + "}" * 20_000),
             ("case.yaml", "case.yaml:16", "nested more than 64 levels deep")),
    BadInput("YAML block mappings nested 100 deep",
             yaml_text(good() + "".join(" " * i + f"k{i}:\n" for i in range(100)) + " " * 100 + "v\n"),
             ("case.yaml", "nested more than 64 levels deep")),
    BadInput("5,000-digit integer in a shape", yaml_edit("x: 42", "x: " + "9" * 5000),
             ("case.yaml", "case.yaml:15", "more than 15 digits")),
    BadInput("5,000-digit integer in a window", yaml_edit("window: bone", "window: {center: 40, width: " + "9" * 5000 + "}"),
             ("case.yaml", "case.yaml:10", "more than 15 digits")),
    BadInput("frames 0-999999999 (checked before it is expanded)",
             yaml_edit("window: bone", 'window: bone\n    frames: "0-999999999"'),
             ("case.yaml", "images[0].frames", "more than 10,000 frames", "'0-999999999'")),
    BadInput("frames as a 5,000-digit string", yaml_edit("window: bone", 'window: bone\n    frames: "' + "9" * 5000 + '"'),
             ("case.yaml", "images[0].frames", "cannot read")),
    BadInput("window center NaN", yaml_edit("window: bone", "window: {center: .nan, width: 400}"),
             ("case.yaml", "images[0].window.center", "finite number", "nan")),
    BadInput("window width inf", yaml_edit("window: bone", "window: {center: 40, width: .inf}"),
             ("case.yaml", "images[0].window.width", "finite number", "inf")),
    BadInput("window width 1e300", yaml_edit("window: bone", "window: {center: 40, width: 1e300}"),
             ("case.yaml", "images[0].window.width", "finite number")),
    BadInput("SOURCE_DATE_EPOCH=10**20", yaml_text(good()),
             ("SOURCE_DATE_EPOCH", "before 2100", "'100000000000000000000'"),
             env=(("SOURCE_DATE_EPOCH", str(10**20)),)),
    BadInput("SOURCE_DATE_EPOCH negative", yaml_text(good()), ("SOURCE_DATE_EPOCH", "'-5'"),
             env=(("SOURCE_DATE_EPOCH", "-5"),)),
    BadInput("DICOM of 40000 x 40000 (header checked before decoding)",
             image_bytes(dicom_edit(lambda ds: (setattr(ds, "Rows", 40000), setattr(ds, "Columns", 40000)))),
             ("ct.dcm", "(0028,0010) Rows", "40000x40000", "over the limit of 64,000,000")),
    BadInput("DICOM of 12000 x 12000 RLE in 2 MB", image_bytes(rle_dicom_of(12_000, 12_000)),
             ("ct.dcm", "12000x12000", "over the limit of 64,000,000")),
    BadInput("DICOM colour 5000 x 5000 x 3 samples",
             image_bytes(dicom_edit(lambda ds: (setattr(ds, "Rows", 5000), setattr(ds, "Columns", 5000),
                                               setattr(ds, "SamplesPerPixel", 3)))),
             ("ct.dcm", "5000x5000 pixels (3 sample(s) each)", "over the limit")),
    BadInput("DICOM of 200,000 frames of 128 x 128 (header only)",
             image_bytes(dicom_edit(lambda ds: setattr(ds, "NumberOfFrames", 200_000))),
             ("ct.dcm", "200,000 frames of 128x128", "over the limit of 2,000,000,000")),
    BadInput("DICOM of 1 x 65,000 (Columns holds 16 bits)",
             image_bytes(dicom_edit(lambda ds: (setattr(ds, "Rows", 1), setattr(ds, "Columns", 65_000)))),
             ("ct.dcm", "65000x1", "a side over 30,000")),
    BadInput("DICOM of 0 x 128", image_bytes(dicom_edit(lambda ds: setattr(ds, "Rows", 0))),
             ("ct.dcm", "(0028,0010) Rows", "no image size")),
    BadInput("PNG of 1 x 100,000", image_bytes(lambda: png_bytes((1, 100_000)), name="shot.png", yaml=PNG_REVIEWED),
             ("shot.png", "1x100000", "a side over 30,000")),
    BadInput("PNG of 20 x 5,000 (one side 250 times the other)",
             image_bytes(lambda: png_bytes((20, 5_000)), name="shot.png", yaml=PNG_REVIEWED),
             ("shot.png", "20x5000", "100 times the other")),
    # --- curriculum CSV ------------------------------------------------------------------------------
    BadInput("curriculum CSV nested 300 deep (a chain of parents)",
             with_csv_curriculum([f"t{i},T{i},{'t' + str(i - 1) if i else 'msk'}" for i in range(300)]),
             ("curriculum.csv", "nested more than 64 levels deep"), args=CSV_CURRICULUM),
    BadInput("curriculum CSV with a cell over the csv module's limit",
             with_csv_curriculum([f"big,{'x' * 200_000},msk"]),
             ("curriculum.csv", "line 4", "field larger than field limit"), args=CSV_CURRICULUM),
    BadInput("curriculum CSV with a NUL byte", with_csv_curriculum(["nul,a\0b,msk"]),
             ("curriculum.csv", "line 4"), args=CSV_CURRICULUM),
    BadInput("curriculum CSV title with the field separator", with_csv_curriculum(["sep,a\x1fb,msk"]),
             ("curriculum.csv", "line 4", "control character U+001F"), args=CSV_CURRICULUM),
    BadInput("curriculum CSV title with a direction override", with_csv_curriculum(["rlo,a\u202db,msk"]),
             ("curriculum.csv", "line 4", "direction override U+202D"), args=CSV_CURRICULUM),
    BadInput("deck name of empty levels", yaml_text(good()), ("--deck-name", "empty level", "'::'"),
             args=("--deck-name", "::")),
    BadInput("deck name with a blank level", yaml_text(good()), ("--deck-name", "empty level", "'Radiology:: ::Chest'"),
             args=("--deck-name", "Radiology:: ::Chest")),
    BadInput("deck name with the field separator", yaml_text(good()), ("--deck-name", "U+001F"),
             args=("--deck-name", "a\x1fb")),
    # --- identifiers of the header written into the case (see docs/de-identification.md) ---------
    BadInput("family name alone in the history", planted({"PatientName": "Zyqrab^John"}, "Test history.", "Seen by Zyqrab."),
             ("case.yaml", "history", "holds 'zyqrab'", "(0010,0010) PatientName", "not_identifying")),
    BadInput("initial and family name in a shape label (drawn into pixels)",
             planted({"PatientName": "Zyqrab^John"}, "height: 38}", "height: 38, label: J. Zyqrab}"),
             ("case.yaml", "findings[0].shapes[0].label", "holds 'j zyqrab'")),
    BadInput("birth date as dd.mm.yyyy in the title", planted({"PatientBirthDate": "19790314"},
                                                             "title: Vertebral body", "title: Born 14.03.1979"),
             ("case.yaml", "title", "holds '14 03 1979'", "(0010,0030) PatientBirthDate")),
    BadInput("study date as 1 March 2024 in a finding", planted({"StudyDate": "20240301"},
                                                               "  - text: Vertebral body", "  - text: 1 March 2024"),
             ("case.yaml", "findings[0].text", "holds '1 march 2024'", "(0008,0020) StudyDate")),
    BadInput("patient ID with a dash", planted({"PatientID": "4471902"}, "Test history.", "MRN 447-1902"),
             ("case.yaml", "history", "holds '4471902'", "(0010,0020) PatientID")),
    BadInput("ideographic name joined", planted({"PatientName": "YAMADA^TARO=\u5c71\u7530^\u592a\u90ce"},
                                                "Test history.", "\u5c71\u7530\u592a\u90ce"),
             ("case.yaml", "history", "(0010,0010) PatientName")),
    BadInput("name with a soft hyphen and Markdown", planted({"PatientName": "Zyqrab^John"}, "Test history.",
                                                             "'**John** Zyq\u00adrab'"),
             ("case.yaml", "history", "holds 'john zyqrab'")),
    BadInput("name in a private creator", private_planted("Dorrit Vexley", "x", "Test history.", "Dorrit Vexley"),
             ("case.yaml", "history", "holds 'dorrit vexley'", "Private Creator")),
    BadInput("MRN inside Image Comments", planted({"ImageComments": "Patient Sally Smith MRN 33445566"},
                                                  "Test history.", "MRN 33445566"),
             ("case.yaml", "history", "holds '33445566'", "(0020,4000) ImageComments")),
    BadInput("overlays drawn without the burned-in review",
             yaml_edit("window: bone", "window: bone\n    overlays: true"),
             ("case.yaml", "images[0].overlays", "overlays are bitmaps", "burned_in: reviewed")),
    # --- found by a robustness sweep of the command line (each was a traceback or a silent loss) --
    BadInput("raw control character in the YAML (ESC)",
             yaml_bytes(good().replace("title: Vertebral body", "title: Vertebral\x1bbody").encode()),
             ("case.yaml:2:17", "U+001B is not allowed")),
    BadInput("a key written twice (the second findings would drop the first)",
             yaml_text(good() + "findings: []\n"),
             ("case.yaml:16:1", "'findings' is written twice", "first on line 11")),
    BadInput("Rescale Slope with two values",
             image_bytes(dicom_edit(lambda ds: setattr(ds, "RescaleSlope", [1, 2]))),
             ("ct.dcm", "(0028,1053) Rescale Slope", "holds 2 values")),
    BadInput("Rescale Intercept present but empty",
             image_bytes(dicom_edit(lambda ds: setattr(ds, "RescaleIntercept", None))),
             ("ct.dcm", "(0028,1052) Rescale Intercept", "holds 0 values")),
    BadInput("Window Width with an empty value, the file's window shown",
             image_bytes(dicom_edit(lambda ds: (setattr(ds, "WindowCenter", ["40", "50"]),
                                                setattr(ds, "WindowWidth", ["400", ""]))),
                         yaml=good().replace("    window: bone\n", "")),
             ("ct.dcm", "(0028,1051) Window Width", "empty value")),
    BadInput("RGB with one sample per pixel",
             image_bytes(dicom_edit(lambda ds: setattr(ds, "PhotometricInterpretation", "RGB")),
                         yaml=good().replace("    window: bone\n", "")),
             ("ct.dcm", "(0028,0002) Samples per Pixel", "do not fit the photometric interpretation 'RGB'")),
    BadInput("Bits Stored above Bits Allocated",
             image_bytes(dicom_edit(lambda ds: setattr(ds, "BitsStored", 20))),
             ("ct.dcm", "(0028,0101) Bits Stored", "Bits Stored 20 does not fit in Bits Allocated 16")),
    BadInput("a polygon with no area (an invisible occlusion mask)",
             yaml_edit("{kind: ellipse, x: 42, y: 4, width: 40, height: 38}",
                       "{kind: polygon, points: [[10, 10], [20, 20], [30, 30]]}"),
             ("case.yaml", "findings[0].shapes[0].points", "the polygon has no area")),
    BadInput("a case without images", yaml_text(good().split("images:")[0]),
             ("case.yaml", "images", "the case has no images")),
    BadInput("an empty deck name", yaml_text(good()), ("--deck-name", "the deck name is empty"),
             args=("--deck-name", " ")),
]
