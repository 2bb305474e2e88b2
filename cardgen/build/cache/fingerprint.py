"""What the build cache keys its entries on besides their inputs: a fingerprint of cardgen's own
code and templates, so that nothing cached outlives the code that made it. (A file's stamp is
cardgen.filestamp's, shared with the imaging readers.)"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from cardgen.resources import TEMPLATES_DIR

CARDGEN_ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def code_fingerprint() -> str:
    """A hash of cardgen's source files and templates: cached notes never outlive the code."""
    digest = hashlib.sha256()
    roots = [CARDGEN_ROOT] + ([TEMPLATES_DIR] if TEMPLATES_DIR.is_dir() else [])
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
