"""Decoding one frame of DICOM pixel data, with errors that name the transfer syntax and the package.

pydicom's decoders (``pydicom.pixels``) do the work; this module knows which package decodes which
transfer syntax, so a file that cannot be decoded says what to install (or that nothing can help).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardgen.errors import InputError
from cardgen.imaging.sources import check_pixel_budget

TRANSFER_SYNTAX_FIELD = "(0002,0010) Transfer Syntax UID"


@dataclass(frozen=True)
class SyntaxSupport:
    """What decodes one transfer syntax: built in (no packages), the packages, or nothing."""

    name: str
    packages: tuple[str, ...]  # PyPI names, first the one cardgen depends on
    decodable: bool = True


_LIBJPEG = ("pylibjpeg-libjpeg", "python-gdcm")
_JPEG_LS = ("pyjpegls", "pylibjpeg-libjpeg", "python-gdcm")
_J2K = ("pylibjpeg-openjpeg", "python-gdcm")
_VIDEO = "a video transfer syntax: export the frames you need as PNG"

# Every transfer syntax of DICOM PS3.5 Annex A that carries images (the table in docs/dicom-display.md is this table).
SYNTAXES: dict[str, SyntaxSupport] = {
    "1.2.840.10008.1.2": SyntaxSupport("Implicit VR Little Endian", ()),
    "1.2.840.10008.1.2.1": SyntaxSupport("Explicit VR Little Endian", ()),
    # pydicom 3.0 reads the dataset but has no pixel decoder for it.
    "1.2.840.10008.1.2.1.98": SyntaxSupport("Encapsulated Uncompressed Explicit VR Little Endian", (),
                                            decodable=False),
    "1.2.840.10008.1.2.1.99": SyntaxSupport("Deflated Explicit VR Little Endian", ()),
    "1.2.840.10008.1.2.2": SyntaxSupport("Explicit VR Big Endian", ()),
    "1.2.840.10008.1.2.5": SyntaxSupport("RLE Lossless", ("pylibjpeg-rle",)),  # also built in
    "1.2.840.10008.1.2.4.50": SyntaxSupport("JPEG Baseline (Process 1)", _LIBJPEG),
    "1.2.840.10008.1.2.4.51": SyntaxSupport("JPEG Extended (Process 2 and 4)", _LIBJPEG),
    "1.2.840.10008.1.2.4.57": SyntaxSupport("JPEG Lossless (Process 14)", _LIBJPEG),
    "1.2.840.10008.1.2.4.70": SyntaxSupport("JPEG Lossless (Process 14, Selection Value 1)", _LIBJPEG),
    "1.2.840.10008.1.2.4.80": SyntaxSupport("JPEG-LS Lossless", _JPEG_LS),
    "1.2.840.10008.1.2.4.81": SyntaxSupport("JPEG-LS Lossy (Near-Lossless)", _JPEG_LS),
    "1.2.840.10008.1.2.4.90": SyntaxSupport("JPEG 2000 (Lossless Only)", _J2K),
    "1.2.840.10008.1.2.4.91": SyntaxSupport("JPEG 2000", _J2K),
    "1.2.840.10008.1.2.4.201": SyntaxSupport("High-Throughput JPEG 2000 (Lossless Only)", _J2K),
    "1.2.840.10008.1.2.4.202": SyntaxSupport("High-Throughput JPEG 2000 with RPCL (Lossless Only)", _J2K),
    "1.2.840.10008.1.2.4.203": SyntaxSupport("High-Throughput JPEG 2000", _J2K),
    "1.2.840.10008.1.2.4.94": SyntaxSupport("JPIP Referenced", (), decodable=False),
    "1.2.840.10008.1.2.4.95": SyntaxSupport("JPIP Referenced Deflate", (), decodable=False),
    "1.2.840.10008.1.2.4.110": SyntaxSupport("JPEG XL Lossless", (), decodable=False),
    "1.2.840.10008.1.2.4.111": SyntaxSupport("JPEG XL JPEG Recompression", (), decodable=False),
    "1.2.840.10008.1.2.4.112": SyntaxSupport("JPEG XL", (), decodable=False),
    **{f"1.2.840.10008.1.2.4.{n}": SyntaxSupport(f"MPEG / HEVC video ({n})", (), decodable=False)
       for n in range(100, 109)},
}


def syntax_description(uid: str) -> str:
    """``JPEG 2000 (1.2.840.10008.1.2.4.91)``: the name a user can look up, with the UID."""
    support = SYNTAXES.get(uid)
    if support is not None:
        return f"{support.name} ({uid})"
    from pydicom.uid import UID

    name = UID(uid).name
    return f"{name} ({uid})" if name != uid else uid


def transfer_syntax(ds, path: Path | None) -> str:
    """The file's Transfer Syntax UID, or an error when the file meta has none."""
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if not uid:
        raise InputError("the file has no transfer syntax, so its pixel data cannot be decoded",
                         file=path, field=TRANSFER_SYNTAX_FIELD,
                         hint="the file meta header is incomplete; export the image again from the PACS")
    return str(uid)


def frame_count(ds, path: Path | None = None) -> int:
    """Number of frames in the dataset (1 for single-frame images)."""
    value = ds.get("NumberOfFrames", 1)
    try:
        count = int(value or 1)
    except (TypeError, ValueError):
        raise InputError("Number of Frames is not a whole number", file=path,
                         field="(0028,0008) Number of Frames", value=str(value),
                         hint="the header is damaged; export the image again") from None
    if count < 1:
        raise InputError("Number of Frames is below 1", file=path, field="(0028,0008) Number of Frames",
                         value=count, hint="the header is damaged; export the image again")
    return count


def has_pixel_data(ds) -> bool:
    """True when the dataset holds an image (integer, float or double pixel data)."""
    return any(key in ds for key in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"))


# Decoder plugins chosen by measurement where pydicom's own order is not the fastest (docs/performance.md,
# "Decoders"): pyjpegls decodes JPEG-LS faster than pylibjpeg (which pydicom tries first); pylibjpeg-rle
# decodes RLE faster than pydicom's native decoder. Used when installed; otherwise pydicom chooses.
PREFERRED_DECODERS = {
    "1.2.840.10008.1.2.4.80": "pyjpegls",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "pyjpegls",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.5": "pylibjpeg",  # RLE Lossless
}


def check_dicom_pixel_budget(ds, path: Path | None, frames: int) -> None:
    """The pixel budget (:func:`cardgen.imaging.sources.check_pixel_budget`) of a DICOM image, from
    its header: Rows x Columns x Samples per Pixel, per frame and for every frame."""
    sizes = {}
    for keyword, tag in (("Rows", "(0028,0010)"), ("Columns", "(0028,0011)"), ("SamplesPerPixel", "(0028,0002)")):
        try:
            sizes[keyword] = int(ds.get(keyword, 1 if keyword == "SamplesPerPixel" else 0) or 0)
        except (TypeError, ValueError) as error:
            raise InputError(f"damaged image header: {error}", file=path, field=f"{tag} {keyword}",
                             hint="export the image again") from None
    if not sizes["Rows"] or not sizes["Columns"]:
        return  # no image size: the decoder names what is missing
    check_pixel_budget(sizes["Columns"], sizes["Rows"], frames=frames, samples=max(1, sizes["SamplesPerPixel"]),
                       path=path, field="(0028,0010) Rows, (0028,0011) Columns")


def decode_frame(ds, index: int, path: Path | None = None) -> tuple[np.ndarray, str]:
    """Frame ``index`` (0-based) as stored values, and the photometric interpretation it now has.

    Colour frames come back as RGB (YBR_FULL/422, YBR_RCT and YBR_ICT are converted by the decoder),
    shape (rows, columns, 3); monochrome and palette frames as (rows, columns).
    """
    from pydicom.pixels import get_decoder

    if not has_pixel_data(ds):
        raise InputError("the DICOM file has no pixel data (7FE0,0010)", file=path,
                         hint="point the case at an image, not a report, plan or structure set")
    if not any(ds.get(key) for key in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise InputError("the pixel data is empty", file=path, field="(7FE0,0010) Pixel Data",
                         hint="the file holds no picture; export the image again from the PACS or modality")
    count = frame_count(ds, path)
    if not 0 <= index < count:
        raise InputError(f"frame {index} does not exist; the file has {count} frame(s)", file=path,
                         field="frame", value=index, hint=f"use a frame from 0 to {count - 1}")
    uid = transfer_syntax(ds, path)
    support = SYNTAXES.get(uid)
    if support is not None and not support.decodable:
        raise _undecodable(uid, path, "no decoder exists for it in cardgen", support)
    try:
        decoder = get_decoder(uid)
    except NotImplementedError:
        raise _undecodable(uid, path, "pydicom has no decoder for it", support) from None
    if not decoder.is_available:
        packages = support.packages if support else ()
        wanted = " or ".join(packages) or "a decoder plugin"
        raise InputError(f"cannot decode transfer syntax {syntax_description(uid)}: it needs {wanted}",
                         file=path, field=TRANSFER_SYNTAX_FIELD,
                         hint=f"pip install {packages[0] if packages else 'pylibjpeg'}")
    check_dicom_pixel_budget(ds, path, count)
    preferred = PREFERRED_DECODERS.get(uid)
    options = {"decoding_plugin": preferred} if preferred in decoder.available_plugins else {}
    try:
        array, meta = decoder.as_array(ds, index=index, **options)
    except RuntimeError as error:
        repaired = _sequential_scan_repaired(ds, index, uid)
        if repaired is not None:
            return repaired, str(ds.get("PhotometricInterpretation", ""))
        # Every installed plugin refused: a damaged stream, or one only GDCM reads.
        reasons = "; ".join(line.strip() for line in str(error).splitlines()[1:] if line.strip())
        twelve_bit_jpeg = uid == "1.2.840.10008.1.2.4.51" and int(ds.get("BitsStored", 8) or 8) > 8
        raise InputError(
            f"cannot decode transfer syntax {syntax_description(uid)}: the installed decoders failed "
            f"({reasons or error})", file=path, field=TRANSFER_SYNTAX_FIELD,
            # GDCM refuses 12-bit JPEG Extended outright: suggesting it would send the person nowhere.
            hint="decompress it with DCMTK (dcmdjpeg in.dcm out.dcm) and use the output, or export it "
                 "again uncompressed" if twelve_bit_jpeg else
                 "python-gdcm decodes some streams the pylibjpeg plugins cannot (pip install python-gdcm); "
                 "otherwise the file is damaged: export it again") from error
    except (ValueError, AttributeError, KeyError, TypeError, NotImplementedError) as error:
        raise InputError(f"cannot decode the pixel data: {str(error).splitlines()[0]}", file=path,
                         hint="the file is truncated or its image header is damaged; export it again") from error
    photometric = str(meta.get("photometric_interpretation", ds.get("PhotometricInterpretation", "")))
    return array, photometric


_SEQUENTIAL_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}


def _sequential_scan_repaired(ds, index: int, uid: str) -> np.ndarray | None:
    """Frame ``index`` of a sequential (baseline or extended) JPEG whose scan header says its spectral
    selection ends at 0 instead of 63 (NEMA WG04's 12-bit reference images, pydicom's JPEG-lossy.dcm:
    libjpeg refuses them, DCMTK warns "Invalid SOS parameters for sequential JPEG" and decodes them):
    decoded with the header mended, for unsigned greyscale only; None when that does not apply."""
    if (uid not in _SEQUENTIAL_JPEG or int(ds.get("SamplesPerPixel", 1)) != 1
            or int(ds.get("PixelRepresentation", 0)) != 0):
        return None
    from pydicom.encaps import get_frame

    try:
        from libjpeg import decode  # pylibjpeg-libjpeg, one of cardgen's dependencies
        stream = bytearray(get_frame(ds.PixelData, index, number_of_frames=frame_count(ds, None)))
    except (ImportError, ValueError, KeyError, TypeError, IndexError):
        return None
    mended = False
    at = stream.find(b"\xff\xda")
    while at != -1 and at + 5 < len(stream):
        components = stream[at + 4]
        spectral = at + 5 + 2 * components  # Ss, then Se, then Ah/Al
        if spectral + 2 < len(stream) and stream[spectral] == 0 and stream[spectral + 1] == 0:
            stream[spectral + 1] = 63
            mended = True
        at = stream.find(b"\xff\xda", spectral)
    if not mended:
        return None
    try:
        array = np.asarray(decode(bytes(stream)))
    except (RuntimeError, ValueError):
        return None
    if array.shape != (int(ds.Rows), int(ds.Columns)):
        return None
    return array


def _undecodable(uid: str, path: Path | None, why: str, support: SyntaxSupport | None) -> InputError:
    video = uid.startswith("1.2.840.10008.1.2.4.10")
    return InputError(f"cannot decode transfer syntax {syntax_description(uid)}: {why}", file=path,
                      field=TRANSFER_SYNTAX_FIELD,
                      hint=_VIDEO if video else "convert the file to Explicit VR Little Endian "
                                                "(gdcmconv --raw, or dcmdjpeg/dcmdjp2k) or export PNG")
