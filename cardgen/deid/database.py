"""The audit of a package's collection database: every table name, and every row and column of
every table (card text, tags, deck and notetype names, configuration), read with :mod:`sqlite3`."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from cardgen.deid.memo import AuditMemo
from cardgen.deid.search import NO_FORMAT, FileFormat, Search
from cardgen.tags import tag_content

# Columns that Anki (or genanki) fills with random or hashed text: searched for source values,
# but not for identifier shapes, which base91 GUIDs such as "o1PXq^N..." can mimic.
OPAQUE_COLUMNS = frozenset({("notes", "guid")})

# The collection format's own words (Anki's legacy schema, as genanki writes it): its tables, and the
# keys of the configuration in the ``col`` row (collection, deck, preset and notetype settings), with
# LaTeX's default preamble and postamble. Surnames such as Graves, Bury, Ord or Begin are among them;
# searched, they would stop every deck of such a patient. Any other table or key is searched, and so
# is every value: names of decks, fields and tags, descriptions, templates.
ANKI_TABLES = frozenset({"col", "notes", "cards", "revlog", "graves"})
ANKI_COLLECTION = FileFormat(
    keys=frozenset({
        "activeDecks", "addToCur", "afmt", "autoplay", "bafmt", "bfont", "bqfmt", "browserCollapsed", "bsize",
        "bury", "collapseTime", "collapsed", "conf", "css", "curDeck", "curModel", "delays", "desc", "did",
        "dueCounts", "dyn", "ease4", "estTimes", "extendNew", "extendRev", "flds", "font", "fuzz", "id",
        "initialFactor", "ints", "ivlFct", "lapse", "latexPost", "latexPre", "latexsvg", "leechAction",
        "leechFails", "lrnToday", "maxIvl", "maxTaken", "media", "minInt", "minSpace", "mod", "mult", "name",
        "new", "newBury", "newSpread", "newToday", "nextPos", "ord", "order", "originalStockKind", "perDay",
        "preventDeletion", "qfmt", "replayq", "req", "rev", "revToday", "rtl", "separate", "size",
        "sortBackwards", "sortType", "sortf", "sticky", "tag", "tags", "timeLim", "timeToday", "timer", "tmpls",
        "type", "usn", "vers"}),
    fixed_value_keys=frozenset({"latexPre", "latexPost"}))
# The notetypes (the ``col`` row's ``models``): also without the texts the deck's writer gives every deck.
ANKI_NOTETYPES = replace(ANKI_COLLECTION, notetypes=True)


def search_database(search: Search, name: str, path: Path, memo: AuditMemo | None = None) -> None:
    """Search the collection database at ``path`` (the package member ``name``); with a ``memo``,
    rows it knows to be clean are not searched again, and rows found clean are added to it."""
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        search.add(name, "", f"cannot open the collection database: {error}")
        return
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            if table not in ANKI_TABLES:
                search.text(f"{name}: table name", table)
            _search_table(search, connection, name, table, memo)
    except sqlite3.Error as error:
        search.add(name, "", f"cannot read the collection database: {error}")
    finally:
        connection.close()


def _search_table(search: Search, connection: sqlite3.Connection, name: str, table: str,
                  memo: AuditMemo | None) -> None:
    quoted = '"' + table.replace('"', '""') + '"'
    cursor = connection.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (names from the db)
    columns = [d[0] for d in cursor.description]
    forms = {column: (ANKI_NOTETYPES if column == "models" else ANKI_COLLECTION) if table == "col" else NO_FORMAT
             for column in columns}
    fields_at = columns.index("flds") if table == "notes" and "flds" in columns else None
    tags_at = columns.index("tags") if table == "notes" and "tags" in columns else None
    for row_number, row in enumerate(cursor):
        if tags_at is not None and isinstance(row[tags_at], str):
            # cardgen's own tag words (cardgen::case::) are the format's; what follows them is searched
            row = (*row[:tags_at], " ".join(tag_content(t) for t in row[tags_at].split()), *row[tags_at + 1:])
        where = f"{name}: {table} row {row_number} column "
        if fields_at is not None and isinstance(row[fields_at], str):
            # A note is known by its first field (a case id, a finding key): name it.
            note = f" (note {row[fields_at].split(chr(0x1F))[0][:60]!r})"
        else:
            note = ""
        if memo is None:
            for column, value in zip(columns, row):
                search.cell(where + column + note, value, shapes=(table, column) not in OPAQUE_COLUMNS,
                            form=forms[column])
            continue
        # Numbers (ids, times: new in every build) are searched every time, which is quick;
        # the row's text is searched unless the same text was found clean, searched for
        # the same values, in the same table and columns.
        texts = [(column, value) for column, value in zip(columns, row)
                 if value is not None and not isinstance(value, (int, float))]
        for column, value in zip(columns, row):
            if isinstance(value, float) or (isinstance(value, int) and search.matcher.may_hold(value)):
                search.cell(where + column + note, value)
        if not any(value for _, value in texts):
            continue  # no text to search (a card row: numbers and an empty data column)
        key = AuditMemo.key("row", search.matcher.fingerprint, table, texts)
        if memo.seen_clean(key):
            continue
        found = search.found
        for column, value in texts:
            search.cell(where + column + note, value, shapes=(table, column) not in OPAQUE_COLUMNS,
                        form=forms[column])
        if search.found == found:
            memo.clean(key)
