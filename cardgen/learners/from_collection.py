"""The cardgen part of a learner's Anki collection: tags, reviews and FSRS memory states of cardgen
cards, read through the ``anki`` backend. ``cardgen learners import`` reads an export with it; the
add-on reads the learner's open collection with it (it carries this file).
"""

from __future__ import annotations

from cardgen.tags import CARDGEN_SEARCH, is_cardgen_tag
from cardgen.learners.model import CardState, FsrsParams, Review
from cardgen.learners.progress import kind_of_notetype


def cardgen_history(col, params_label: FsrsParams | None = None) -> tuple[dict[str, str], list[Review], list[CardState]]:
    """The learner's cardgen tags per note, reviews and FSRS memory states, from their own collection.

    ``params_label`` says which FSRS parameters the states were computed with ("fitted" or
    "default"); without it, "fitted" when the card's preset carries parameters of the learner's.
    """
    card_ids = list(col.find_cards(CARDGEN_SEARCH))
    if not card_ids:
        return {}, [], []
    ids = ",".join(str(int(c)) for c in card_ids)
    tags = {guid: " ".join(sorted(t for t in note_tags.split() if is_cardgen_tag(t)))
            for guid, note_tags in col.db.all(
                f"SELECT DISTINCT n.guid, n.tags FROM cards c JOIN notes n ON n.id = c.nid WHERE c.id IN ({ids})")}
    reviews = [Review(*row) for row in col.db.all(
        "SELECT n.guid, c.ord, r.id, r.ease, r.ivl, r.lastIvl, r.factor, r.time, r.type "
        f"FROM revlog r JOIN cards c ON c.id = r.cid JOIN notes n ON n.id = c.nid WHERE r.cid IN ({ids}) "
        "ORDER BY r.id")]
    states: list[CardState] = []
    for card_id, guid, card_ord, last in col.db.all(
            "SELECT c.id, n.guid, c.ord, max(r.id) FROM cards c JOIN notes n ON n.id = c.nid "
            f"JOIN revlog r ON r.cid = c.id WHERE c.id IN ({ids}) GROUP BY c.id ORDER BY c.id"):
        memory = col.compute_memory_state(card_id)
        if memory.stability is None or memory.difficulty is None:
            continue  # no usable review (e.g. only manual rescheduling)
        params = params_label or (FsrsParams.FITTED if _fitted(col, card_id) else FsrsParams.DEFAULT)
        states.append(CardState(guid, card_ord, memory.stability, memory.difficulty, memory.decay or 0.5, last,
                                params))
    return tags, reviews, states


def _fitted(col, card_id: int) -> bool:
    """Whether the card's preset carries FSRS parameters (the learner optimized them)."""
    config = col.decks.config_dict_for_deck_id(col.get_card(card_id).did)
    return bool(config.get("fsrsParams6") or config.get("fsrsWeights"))


def note_kinds(col) -> dict[str, str]:
    """Each cardgen note's kind of card, from its notetype's name (notes of a renamed notetype have none)."""
    note_ids = list(col.find_notes(CARDGEN_SEARCH))
    if not note_ids:
        return {}
    kinds: dict[str, str] = {}
    for guid, notetype in col.db.all(f"SELECT n.guid, m.name FROM notes n JOIN notetypes m ON m.id = n.mid "
                                     f"WHERE n.id IN ({','.join(str(int(n)) for n in note_ids)})"):
        kind = kind_of_notetype(notetype)
        if kind is not None:
            kinds[guid] = kind
    return kinds
