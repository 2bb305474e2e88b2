"""The build package's own seams: the CLI's build defaults are the build's, and a case job is
plain data that crosses to a worker and keys the cache by what it holds."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

from cardgen.build import BuildOptions
from cardgen.build.cache import BuildCache
from cardgen.build.job import CaseJob
from cardgen.cards.notes import CaseContext
from cardgen.cli import build as build_command
from cardgen.imaging.encode import OutputFormat
from cardgen.imaging.render import OutputOptions
from cardgen.teaching.case import OcclusionMode
from cardgen.teaching.loader import load_case

SAMPLE_CASE = Path(__file__).resolve().parent.parent / "decks" / "sample" / "cases" / "chest" / "chest-001" / "case.yaml"


def test_cli_build_defaults_are_the_build_options_defaults() -> None:
    defaults = {param.name: param.default for param in build_command.params}
    built = BuildOptions(cases_dir=Path("cases"), out=Path("deck.apkg"))
    assert defaults["deck_name"] == built.deck_name
    assert defaults["deck_depth"] == built.deck_depth
    assert OcclusionMode(defaults["occlusion"]) is built.occlusion
    assert OutputOptions(OutputFormat(defaults["image_format"]), defaults["quality"],
                         defaults["max_side"]) == built.output


def test_case_job_crosses_to_a_worker_and_keys_on_what_it_holds(tmp_path: Path) -> None:
    case = load_case(SAMPLE_CASE)
    context = CaseContext(deck=("Chest",), topic_tags=("cardgen::topic::chest",), curriculum_line="", mod=0, order=1)
    job = CaseJob(case, context, OcclusionMode.HIDE_ALL, OutputOptions())
    assert pickle.loads(pickle.dumps(job)) == job
    files = job.files()
    assert files[0] == case.source and all(path.is_file() for path in files)
    cases = BuildCache(tmp_path / "cache").cases
    key = cases.key(job, files=files)
    assert cases.key(pickle.loads(pickle.dumps(job)), files=files) == key
    assert cases.key(replace(job, default_occlusion=OcclusionMode.HIDE_ONE), files=files) != key
    assert cases.key(replace(job, output=OutputOptions(quality=80)), files=files) != key
