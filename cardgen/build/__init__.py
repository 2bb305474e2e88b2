"""The build: teaching cases (and a curriculum) in, one .apkg out.

:mod:`~cardgen.build.pipeline` runs the stages; :mod:`~cardgen.build.job` is the work on one case,
run by :mod:`~cardgen.build.run` on the :mod:`~cardgen.build.workers`; :mod:`~cardgen.build.cache`
remembers what a rebuild need not do again. ``build_deck``, ``BuildOptions`` and ``BuildResult``
are the public entry points, importable from here (the CLI, the preview and the tests do).
"""

from cardgen.build.options import BuildOptions, BuildResult
from cardgen.build.pipeline import audit_deck, build_deck

__all__ = ["BuildOptions", "BuildResult", "audit_deck", "build_deck"]
