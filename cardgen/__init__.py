"""cardgen: turn annotated radiology teaching files into image-based Anki decks."""

# The one place the version and the homepage are written: setup.cfg reads the version
# (``version = attr:``), setup.py the homepage, and the add-on's manifest both.
__version__ = "0.1.0"
__homepage__ = "https://github.com/cardgen/cardgen"
