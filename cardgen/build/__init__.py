"""The build: teaching cases (and a curriculum) in, one .apkg out.

The pipeline (:mod:`cardgen.build.pipeline`) runs the stages; the workers and the build cache
serve the whole build. ``cardgen.build.build_deck`` and ``BuildOptions`` are the public entry
points (the CLI, the preview and the tests import them from here).
"""

from cardgen.build.pipeline import DEFAULT_DECK_NAME, BuildOptions, BuildResult, build_deck

__all__ = ["DEFAULT_DECK_NAME", "BuildOptions", "BuildResult", "build_deck"]
