"""Findings from annotation objects a case points at (``annotations: [{file: ...}]``)."""

from __future__ import annotations

from dataclasses import replace

from cardgen.annotations.readers import ImageRef, read_annotations
from cardgen.errors import InputError
from cardgen.imaging.sources import ImageFacts
from cardgen.teaching.case import Case, Finding


def with_annotation_files(case: Case, facts: dict[str, ImageFacts]) -> Case:
    """The case with a finding added for every annotation its annotation files hold for its images."""
    if not case.annotation_files:
        return case
    added: list[Finding] = []
    for index, source in enumerate(case.annotation_files):
        image = case.image(source.image_id or case.images[0].id)
        if image.is_dicom:
            ref = ImageRef.from_file(image.path, image.frame)
        else:
            ref = ImageRef(width=facts[image.id].width, height=facts[image.id].height)
        try:
            annotations = read_annotations(source.path, ref)
        except InputError as error:
            raise error.located(file=case.source, field_prefix=f"annotations[{index}]") from error
        if not annotations:
            raise InputError("the file holds no annotation for this image", file=case.source,
                             field=f"annotations[{index}].file", value=source.path.name,
                             hint="check that it references this image (SOP Instance UID, frame)")
        for item, annotation in enumerate(annotations):
            text = annotation.text or annotation.label or f"Annotated region ({annotation.reader})"
            added.append(Finding(text=text, image_id=image.id, shapes=annotation.shapes, label=annotation.label,
                                 origin=f"annotations[{index}] ({source.path.name}) item {item}"))
    return replace(case, findings=case.findings + tuple(added))
