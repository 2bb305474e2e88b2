"""Packaging: the metadata is in setup.cfg; this file only does what setup.cfg cannot.

The card and report templates live at the top of the repository (``templates/``) and are installed
inside the package as ``cardgen/templates/`` (cardgen.resources finds either), so a wheel needs no
checkout. The homepage is read from cardgen/__init__.py, where the version is too.
"""

import ast
from pathlib import Path

from setuptools import find_packages, setup


def _homepage() -> str:
    tree = ast.parse(Path(__file__).with_name("cardgen").joinpath("__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__homepage__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("cardgen/__init__.py has no __homepage__")


setup(
    url=_homepage(),
    packages=find_packages(include=["cardgen", "cardgen.*"]) + ["cardgen.templates"],
    package_dir={"cardgen.templates": "templates"},
)
