"""Where cardgen's own data files are (the ``templates/`` folder), and the one Jinja2 environment
that renders them.

In a checkout the templates sit at the top of the repository (``templates/``, beside ``cardgen/``);
an installed wheel carries the same folder as ``cardgen/templates/`` (setup.py maps one onto the
other), so a plain ``pip install`` needs no checkout.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen import __homepage__

if TYPE_CHECKING:
    import jinja2

# Where the JSON Schemas of case.yaml and the curriculum are published (docs/schema/ on the main
# branch): a case.yaml written by ``cardgen new`` names its schema there, for editors to check it.
SCHEMA_BASE_URL = __homepage__.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/docs/schema/"

PACKAGE_DIR = Path(__file__).resolve().parent


def _templates_dir() -> Path:
    installed = PACKAGE_DIR / "templates"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "templates"


TEMPLATES_DIR = _templates_dir()
# The font labels are drawn on images with: DejaVu Sans cut to Latin, Greek, Cyrillic and common
# symbols (templates/fonts/LICENSE-DejaVu.txt). Bundled, so that a deck's images are the same on every
# machine; Pillow's own default font draws ASCII only (ä, é, µ, × came out as boxes).
LABEL_FONT = TEMPLATES_DIR / "fonts" / "DejaVuSans-cardgen.ttf"


@functools.cache
def jinja_environment() -> jinja2.Environment:
    """The Jinja2 environment of every template under :data:`TEMPLATES_DIR`: card field fragments,
    the coverage page and the class report.

    Autoescape is on for every template, so teaching text, curriculum titles and learner names can
    never inject HTML. A variable the template names but the caller does not give is an error, not
    an empty string. Block tags take their line's indent and line break with them, so templates can
    be laid out readably; the fragments mark every break they do not want with ``-``.
    """
    import jinja2  # here, not at the top: a rebuild with every case cached never needs it

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
