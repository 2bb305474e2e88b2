"""cardgen: turn annotated radiology teaching files into image-based Anki decks."""

__version__ = "0.1.0"
