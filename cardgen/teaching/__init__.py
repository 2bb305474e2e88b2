"""Teaching files: the case model and the reader of ``case.yaml`` folders."""

from cardgen.teaching.case import Case, CaseImage, Difficulty, Finding, OcclusionMode

__all__ = ["Case", "CaseImage", "Difficulty", "Finding", "OcclusionMode"]
