"""Deck output: notes and media to a reproducible, atomically written .apkg."""
