"""The published JSON Schemas (docs/schema/) and the CLI reference (docs/cli.md) are generated from
the code and up to date; the schemas accept every sample case and the sample curriculum, and refuse
what the loaders refuse (unknown keys, wrong kinds)."""

from __future__ import annotations

import difflib
import json
import subprocess
import sys

import jsonschema
import pytest
import yaml

from cardgen.docs import REGENERATE, generated, stale
from tests.sample_cases import GOOD_CASE, REPO, SAMPLE_CASES, SAMPLE_CURRICULUM

SCHEMAS = REPO / "docs" / "schema"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_generated_docs_are_up_to_date() -> None:
    out_of_date = stale()
    first = out_of_date[0] if out_of_date else None
    diff = "" if first is None else "\n".join(difflib.unified_diff(
        (REPO / first).read_text(encoding="utf-8").splitlines(), generated()[first].splitlines(), lineterm="", n=1))
    assert not out_of_date, (f"{[str(p) for p in out_of_date]} out of date: run `{REGENERATE}` and commit the "
                             f"result\n{diff[:3000]}")


def test_generator_check_mode_agrees() -> None:
    result = subprocess.run([sys.executable, "-m", "cardgen.docs", "--check"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert set(generated()) >= {p.relative_to(REPO) for p in SCHEMAS.glob("*.json")}


@pytest.mark.parametrize("case_file", sorted(SAMPLE_CASES.rglob("case.yaml")), ids=lambda p: p.parent.name)
def test_every_sample_case_is_valid(case_file) -> None:
    data = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    errors = [e.message for e in _validator("case.schema.json").iter_errors(data)]
    assert not errors, errors


def test_sample_curriculum_is_valid() -> None:
    data = yaml.safe_load(SAMPLE_CURRICULUM.read_text(encoding="utf-8"))
    assert not [e.message for e in _validator("curriculum.schema.json").iter_errors(data)]


GOOD = yaml.safe_load(GOOD_CASE.format(case_id="a-1"))


@pytest.mark.parametrize("edit", [
    lambda c: c.update(histroy="x"),  # unknown key
    lambda c: c["images"][0].update(windw="lung"),
    lambda c: c["findings"][0]["shapes"][0].update(at=[1, 2]),  # a point's key on an ellipse
    lambda c: c["findings"][0]["shapes"][0].pop("height"),  # missing required
    lambda c: c.update(difficulty="hardd"),
    lambda c: c["images"][0].update(frame="two"),
    lambda c: c.pop("title"),
], ids=["histroy", "windw", "at on ellipse", "no height", "difficulty", "frame text", "no title"])
def test_case_schema_refuses_what_the_loader_refuses(edit) -> None:
    validator = _validator("case.schema.json")
    assert validator.is_valid(GOOD)
    case = json.loads(json.dumps(GOOD))
    edit(case)
    assert not validator.is_valid(case)


def test_curriculum_schema_refuses_unknown_keys_at_any_depth() -> None:
    validator = _validator("curriculum.schema.json")
    data = [{"id": "chest", "title": "Chest", "children": [{"id": "chest.lungs", "title": "Lungs", "objective": ["x"]}]}]
    assert not validator.is_valid(data)
    data[0]["children"][0]["objectives"] = data[0]["children"][0].pop("objective")
    assert validator.is_valid(data)
