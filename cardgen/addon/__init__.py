"""The cardgen Anki add-on: its logic (no Qt), its desktop glue (gui.py) and its packaging (package.py)."""
