"""The cardgen Anki add-on: its logic (no Qt), its desktop glue (gui.py) and its packaging (package.py).

``drive(col, moment, config=None)`` is the one entry point (cardgen.addon.moments): importable without Qt.
"""

from cardgen.addon.moments import drive

__all__ = ["drive"]
