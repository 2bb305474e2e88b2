"""cardgen for Anki: schedules cardgen's radiology cards by each learner's difficulty tags and pace.

This is the add-on's ``__init__.py``: one setup call. The logic lives in modules that import no Qt.
"""

from .addon.gui import setup

setup()
