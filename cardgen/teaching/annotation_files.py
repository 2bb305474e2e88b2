"""Findings from annotation objects a case points at (``annotations: [{file: ...}]``).

Each annotation read for the case image (the frame or slice the case shows) becomes one finding:
its regions clipped to the image, its words from the file unless the case's ``text:``/``label:``
(or an ``items:`` entry's) replace them. ``items:`` chooses which annotations become findings.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Mapping

from cardgen.annotations.clip import clipped, has_no_area
from cardgen.annotations.shapes import as_written
from cardgen.annotations.readers import ImageRef, ReadAnnotation, reader_for
from cardgen.errors import InputError
from cardgen.imaging.sources import ImageFacts
from cardgen.teaching.case import AnnotationChoice, AnnotationFile, Case, Finding

# Where each case image's shapes are drawn: the file (a series' key slice) and frame shown.
ShownImages = Mapping[str, "tuple[Path, int | None]"]


def with_annotation_files(case: Case, facts: dict[str, ImageFacts], shown: ShownImages) -> Case:
    """The case with a finding added for every annotation its annotation files hold for its images.

    ``shown`` maps an image id to the file and frame the case shows for it (for a series folder,
    its key slice: the folder itself is not an image).
    """
    if not case.annotation_files:
        return case
    added: list[Finding] = []
    for index, source in enumerate(case.annotation_files):
        field = f"annotations[{index}]"
        image = case.image(source.image_id or case.images[0].id)
        path, frame = shown[image.id]
        if image.is_dicom:
            ref = ImageRef.from_file(path, frame)
        else:
            ref = ImageRef(width=facts[image.id].width, height=facts[image.id].height)
        try:
            everything = reader_for(source.path).read(source.path, ref)
        except InputError as error:
            raise error.located(file=case.source, field_prefix=field) from error
        except (AttributeError, TypeError, IndexError, KeyError, ValueError) as error:
            # A reader met a shape of the object it does not expect (an attribute missing, or with
            # another number of values). Not the error's text: it may quote the object's values.
            raise InputError(f"cannot read this annotation object: it is not shaped as DICOM PS3.3 has it "
                             f"({type(error).__name__} in its reader)", file=case.source,
                             field=f"{field}.file", value=source.path.name,
                             hint="export it again from the viewer that wrote it; if it still fails, "
                                  "please report it with the name of that viewer") from None
        annotations = [annotation for annotation in everything if annotation.applies_to(ref)]
        if not annotations:
            raise InputError("the file holds no annotation for this image", file=case.source,
                             field=f"{field}.file", value=source.path.name,
                             hint=_elsewhere_hint(everything, ref, image.path.is_dir()))
        width, height = facts[image.id].width, facts[image.id].height
        for annotation, choice in _chosen(annotations, source, case.source, field):
            text = (choice and choice.text) or source.text or annotation.text or annotation.label
            label = (choice and choice.label) or source.label or annotation.label
            if not text:
                number = annotations.index(annotation) + 1
                raise InputError(f"item {number} ({annotation.item or annotation.reader}) has no words "
                                 "to answer with", file=case.source, field=field, value=source.path.name,
                                 hint=f"add 'text: ...' to {field}, or 'items: [{{item: {number}, "
                                      "text: ...}]' to word each item")
            shapes = _on_image(annotation, width, height, source.path, field)
            if label != annotation.label:
                shapes = tuple(replace(shape, label=label) for shape in shapes)
            added.append(Finding(text=text, image_id=image.id, shapes=shapes, label=label,
                                 origin=f"{field} ({source.path.name}) item {annotations.index(annotation) + 1}"))
    return replace(case, findings=case.findings + tuple(added))


def _elsewhere_hint(everything: list[ReadAnnotation], ref: ImageRef, series: bool) -> str:
    """What to do when none of a file's annotations is on the image shown: the frames of this image
    they are on, or that they are on other images (other slices, for a series folder)."""
    if not everything:
        return "check that it references this image (SOP Instance UID, frame or slice)"
    frames = sorted({a.referenced_frame for a in everything if a.referenced_frame is not None
                     and (not a.referenced_sop_instance_uid or a.referenced_sop_instance_uid == ref.sop_instance_uid)})
    if frames:
        listed = ", ".join(str(frame) for frame in frames)
        return (f"its {len(everything)} annotation(s) are on frame{'s' if len(frames) > 1 else ''} {listed} of this "
                f"image: set the image's 'frame:' to {'one of them' if len(frames) > 1 else 'it'}")
    if series:
        return (f"its {len(everything)} annotation(s) are on other slices: set the image's 'frame:' to the slice "
                "they were drawn on")
    return (f"its {len(everything)} annotation(s) are on other images: point the case image at the image they "
            "were drawn on")


def _chosen(annotations: list[ReadAnnotation], source: AnnotationFile, case_file: Path,
            field: str) -> list[tuple[ReadAnnotation, AnnotationChoice | None]]:
    """The annotations that become findings, each with the case's choice that picked it."""
    if not source.items:
        return [(annotation, None) for annotation in annotations]
    chosen = []
    for c_index, choice in enumerate(source.items):
        matches = [a for number, a in enumerate(annotations, 1) if _matches(a, number, choice.item)]
        if not matches:
            listed = "; ".join(f"{number}: {a.label or a.text or a.item}"
                               for number, a in enumerate(annotations, 1))
            raise InputError(f"no item of {source.path.name} on this image matches", file=case_file,
                             field=f"{field}.items[{c_index}]", value=choice.item,
                             hint=f"its items are {listed}")
        chosen.extend((annotation, choice) for annotation in matches)
    return chosen


def _matches(annotation: ReadAnnotation, number: int, item: int | str) -> bool:
    if isinstance(item, int):
        return number == item
    wanted = item.casefold()
    return any(name and name.strip().casefold() == wanted
               for name in (annotation.label, annotation.tracking_id, annotation.text))


def _on_image(annotation: ReadAnnotation, width: int, height: int, path: Path, field: str) -> tuple:
    """The annotation's shapes clipped to the image; an error naming the item when none is on it, or
    when a region encloses nothing (it would hide nothing on an occlusion card)."""
    for shape in annotation.shapes:
        if has_no_area(shape):
            raise InputError("the region has no area: a circle of radius 0, an ellipse with an axis of 0, or "
                             "points on one line", file=path, field=f"{field}.{annotation.item or annotation.reader}",
                             value=as_written(shape),
                             hint="draw the region again; a contour placed from patient coordinates also needs "
                                  "the image's (0020,0037) Image Orientation and (0028,0030) Pixel Spacing")
    shapes = tuple(s for s in (clipped(shape, width, height) for shape in annotation.shapes) if s is not None)
    if not shapes:
        bounds = [shape.bounds() for shape in annotation.shapes]
        value = {"left": round(min(b.left for b in bounds), 2), "top": round(min(b.top for b in bounds), 2),
                 "right": round(max(b.right for b in bounds), 2),
                 "bottom": round(max(b.bottom for b in bounds), 2)}
        raise InputError(f"the region lies wholly outside the {width}x{height} image", file=path,
                         field=f"{field}.{annotation.item or annotation.reader}", value=value,
                         hint="check that the annotation was drawn on this image")
    return shapes
