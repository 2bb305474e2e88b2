"""The checks of one case that need its images but not their renders, and of its topics against
the curriculum: shared by the build (before anything is rendered) and by ``cardgen check``.

Every problem of a case is reported at once (an :class:`InputErrors` for several). The annotation
files' reader and the stack resolver are imported on use: they bring numpy, which a rebuild with
every case cached never needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cardgen.annotations.clip import clipped
from cardgen.annotations.shapes import as_written, overhang
from cardgen.build.cache import BuildCache
from cardgen.build.headers import header, identifying_values, identity_sources, image_facts
from cardgen.curriculum import Curriculum
from cardgen.deid.burned_in import BurnedInFacts, check_burned_in, check_overlays_reviewed
from cardgen.deid.case_text import refuse_identifying_text
from cardgen.errors import InputError, InputErrors, each_error
from cardgen.imaging.frames import frame_range_hint
from cardgen.imaging.sources import ImageFacts
from cardgen.teaching.case import Case

if TYPE_CHECKING:
    from cardgen.teaching.stacks import ResolvedImage


@dataclass(frozen=True)
class CheckedCase:
    """A case whose images passed :func:`check_case_images`."""

    case: Case  # with its annotation files' findings added, and its shapes clipped to their images
    resolved: dict[str, ResolvedImage]  # image id -> its key file and frame, and its stack
    facts: dict[str, ImageFacts]  # image id -> the facts of its key file


def check_topics(case: Case, curriculum: Curriculum) -> None:
    """Every topic a case names must be in the curriculum, and every objective it says it teaches
    must be one of those topics' (each problem is reported)."""
    errors: list[InputError] = []
    for index, topic_id in enumerate(case.topics):
        try:
            curriculum.topic(topic_id, file=case.source, field=f"topics[{index}]")
        except InputError as error:
            errors.append(error)
    if not errors:
        for index, ref in enumerate(case.objectives):
            try:
                curriculum.objective(ref, case.topics, file=case.source, field=f"objectives[{index}]")
            except InputError as error:
                errors.append(error)
    if errors:
        raise one_or_all(errors)


def check_case_images(case: Case, cache: BuildCache | None = None) -> CheckedCase:
    """Everything about a case's images that can be known without rendering them: each file opens
    as an image, frames exist, annotation files apply, shapes and masks lie on their image, burned-in
    text is reviewed. Every problem is reported (an :class:`InputErrors` for several)."""
    from cardgen.teaching.annotation_files import with_annotation_files
    from cardgen.teaching.stacks import resolve_image

    errors: list[InputError] = []
    resolved: dict[str, ResolvedImage] = {}
    facts: dict[str, ImageFacts] = {}
    for i, image in enumerate(case.images):
        try:
            resolved[image.id] = resolve_image(image, case.source, f"images[{i}]")
            facts[image.id] = image_facts(resolved[image.id].key_path, cache)
        except InputError as error:
            errors += each_error(error)
    if errors:
        raise one_or_all(errors)
    # a frame the file does not have first: the annotation files are matched to the frame asked for,
    # and would only say that none of theirs is on it
    for i, image in enumerate(case.images):
        if image.stack is None and image.frame is not None and image.frame >= facts[image.id].frames:
            errors.append(InputError(f"frame {image.frame} does not exist; the file has {facts[image.id].frames}",
                                     file=case.source, field=f"images[{i}].frame", value=image.frame,
                                     hint=frame_range_hint(facts[image.id].frames)))
    if errors:
        raise one_or_all(errors)
    case = with_annotation_files(case, facts, {i: (r.key_path, r.key_frame) for i, r in resolved.items()})
    try:
        case = check_shapes(case, facts)
    except InputError as error:
        errors += each_error(error)
    for i, image in enumerate(case.images):
        key = resolved[image.id]
        for path in dict.fromkeys([key.key_path] + [p for p, _ in key.stack]):
            burned_in = header(path, cache)[1] if image.is_dicom else BurnedInFacts.for_raster()
            try:
                check_burned_in(burned_in, reviewed=image.burned_in_reviewed, path=path,
                                field=f"images[{i}].burned_in")
            except InputError as error:
                errors += each_error(error)
        if image.overlays and not image.burned_in_reviewed:
            try:
                check_overlays_reviewed(path=case.source, field=f"images[{i}].overlays")
            except InputError as error:
                errors.append(error)
    try:
        _refuse_identifying_text(case, cache)
    except InputError as error:
        errors += each_error(error)
    if errors:
        raise one_or_all(errors)
    return CheckedCase(case, resolved, facts)


def check_case_display(checked: CheckedCase) -> None:
    """What showing each DICOM image needs, found without rendering it: its windows against the file
    (a file window the file does not carry, a width below the minimum) and its key frame decoded (no
    pixel data, pixel data cut short, a codec not installed). For ``cardgen check``, which renders
    nothing; the build finds the same as it renders, and a cached rebuild must not decode again."""
    from cardgen.imaging.decode import decode_frame
    from cardgen.imaging.dicom import read_dataset
    from cardgen.imaging.display import check_window

    errors: list[InputError] = []
    for i, image in enumerate(checked.case.images):
        if not image.is_dicom:
            continue
        key = checked.resolved[image.id]
        try:
            ds = read_dataset(key.key_path)  # with its pixels: read once for the windows and the decoding
            for window in dict.fromkeys(image.windows):
                check_window(ds, key.key_frame or 0, window, key.key_path)
            decode_frame(ds, key.key_frame or 0, key.key_path)
        except InputError as error:
            errors += [e.located(field_prefix=f"images[{i}]") if e.field == "window" else e
                       for e in each_error(error)]
    if errors:
        raise one_or_all(errors)


def check_shapes(case: Case, facts: dict[str, ImageFacts]) -> Case:
    """The case with each finding's shapes clipped to its image; every mask must lie on its image
    (a mask off the image would leave the burned-in text it was meant to hide), and a shape with
    nothing on its image is an error. Every problem is reported."""
    hint = "coordinates are image pixels from the top-left corner (x to the right, y down)"
    errors: list[InputError] = []
    for i_index, image in enumerate(case.images):
        known = facts[image.id]
        for m_index, mask in enumerate(image.masks):
            if not mask.bounds().within(known.width, known.height):
                written = {k: v for k, v in as_written(mask).items() if k != "kind"}
                errors.append(InputError(
                    f"mask lies outside the {known.width}x{known.height} image: "
                    + overhang(mask.bounds(), known.width, known.height),
                    file=case.source, field=f"images[{i_index}].mask[{m_index}]", value=written, hint=hint))
    findings = []
    for f_index, finding in enumerate(case.findings):
        known = facts[finding.image_id]
        shapes = []
        for s_index, shape in enumerate(finding.shapes):
            on_image = clipped(shape, known.width, known.height)
            if on_image is None:
                errors.append(InputError(
                    f"shape lies outside the {known.width}x{known.height} image: "
                    + overhang(shape.bounds(), known.width, known.height),
                    file=case.source, field=f"findings[{f_index}].shapes[{s_index}]", value=as_written(shape),
                    hint=hint))
                continue
            shapes.append(on_image)
        findings.append(replace(finding, shapes=tuple(shapes)) if shapes != list(finding.shapes) else finding)
    if errors:
        raise one_or_all(errors)
    return replace(case, findings=tuple(findings))


def one_or_all(errors: list[InputError]) -> InputError:
    """The one error, or all of them as one :class:`InputErrors`."""
    return errors[0] if len(errors) == 1 else InputErrors(errors)


def _refuse_identifying_text(case: Case, cache: BuildCache | None) -> None:
    """Refuse the case when its text (labels drawn into images included) holds an identifying
    value of its own DICOM files, naming the field where it was typed."""
    values = identifying_values(identity_sources([case]), cache)
    refuse_identifying_text(case.texts(), values, allowed=case.not_identifying, file=case.source)
