"""Where cardgen's own data files are: the ``templates/`` folder.

In a checkout the templates sit at the top of the repository (``templates/``, beside ``cardgen/``);
an installed wheel carries the same folder as ``cardgen/templates/`` (setup.py maps one onto the
other), so a plain ``pip install`` needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _templates_dir() -> Path:
    installed = PACKAGE_DIR / "templates"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "templates"


TEMPLATES_DIR = _templates_dir()
