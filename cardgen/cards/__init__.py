"""Cards: notetypes, their templates, and the notes made from each teaching case."""
