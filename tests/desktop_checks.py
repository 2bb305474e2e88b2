"""Checks that run inside the real Anki desktop, stepped by the driver add-on of tests/desktop.py.

This file is copied into the driver add-on: it imports only what Anki ships (aqt, anki) and the standard
library, inside the functions. A check is a generator ``check(mw, params)``: it yields a short text while it
waits for something, and returns a JSON-able dict of what it saw.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

Check = Iterator[str]


def trivial(mw: Any, params: dict[str, Any]) -> Check:
    """The harness's own check: the trivial add-on loaded, saw the profile open, and the deck is in mw.col."""
    addon = sys.modules[params["addon"]]
    while addon.seen_notes is None:
        yield "the trivial add-on's profile_did_open hook"
    col = mw.col
    return {
        "addon_seen_notes": addon.seen_notes,
        "addon_import_error": addon.import_error,
        "notes": col.note_count(),
        "cards": col.card_count(),
        "decks": sorted(deck.name for deck in col.decks.all_names_and_ids()),
        "case_ids": sorted({note["CaseId"] for note in map(col.get_note, col.find_notes("CaseId:_*"))}),
        "main_window_state": mw.state,
    }


def _say_yes_to_the_first_run(gui: Any) -> Check:
    """Wait for the add-on's first-run question, then answer Yes as the learner would; returns its text."""
    from aqt.qt import QMessageBox

    while gui.question is None and gui.last_plan is None and gui.last_error is None:
        yield "the cardgen add-on's first-run question"
    if gui.last_error is not None:
        raise AssertionError(f"the add-on failed: {gui.last_error!r}")
    asked = gui.question.text() if gui.question is not None else None
    if gui.question is not None:
        gui.question.done(QMessageBox.StandardButton.Yes.value)
    while gui.last_plan is None and gui.last_error is None:
        yield "the cardgen add-on's run after the learner said yes"
    if gui.last_error is not None:
        raise AssertionError(f"the add-on's run failed: {gui.last_error!r}")
    return asked


def cardgen_addon(mw: Any, params: dict[str, Any]) -> Check:
    """The cardgen add-on inside Anki: its first-run question, its run after Yes, its status dialog's
    text, then a few answers and its export.

    Returns the question, the decks' presets, the new cards' order after the run (as note GUID, card
    ordinal, band: card ids differ between collections), the status text and what was exported.
    """
    gui = sys.modules["cardgen.addon.gui"]
    asked = yield from _say_yes_to_the_first_run(gui)
    col = mw.col
    search = params["search"]
    presets = {}
    for deck in col.decks.all_names_and_ids():
        config = col.decks.config_dict_for_deck_id(deck.id)
        presets[deck.name] = {"preset": config["name"], "new_per_day": config["new"]["perDay"],
                              "desired_retention": config.get("desiredRetention")}
    new_order = [[guid, ordinal, deck_id, tags.split()] for guid, ordinal, deck_id, tags in col.db.all(
        "SELECT n.guid, c.ord, c.did, n.tags FROM cards c JOIN notes n ON n.id = c.nid "
        f"WHERE c.queue = 0 AND c.id IN ({','.join(str(c) for c in col.find_cards(search))}) ORDER BY c.due, c.id")]
    deck_names = {int(deck.id): deck.name for deck in col.decks.all_names_and_ids()}
    for row in new_order:
        row[2] = deck_names[row[2]]
    menus = {action.text(): [item.text() for item in action.menu().actions()]
             for action in mw.form.menuTools.actions() if action.menu() is not None}
    status = gui.status_text(col, gui.config())

    # Study as the learner would: the first cards the root deck gives, through Anki's scheduler.
    col.decks.select(col.decks.id_for_name(params["root"]))
    answered = []
    for rating in params["ratings"]:
        queued = col.sched.get_queued_cards(fetch_limit=1)
        if not queued.cards:
            break
        top = queued.cards[0]
        card = col.get_card(top.card.id)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=rating))
        answered.append([card.note().guid, card.ord])

    exported = []
    gui.export_progress_to(Path(params["export"]), lambda path: exported.append(str(path)))
    while not exported:
        yield "the cardgen add-on's progress export"
    return {
        "asked": asked,
        "consent": col.get_config("cardgenConsent", None),
        "did": gui.last_plan.describe(),
        "tools_menus": menus,
        "presets": presets,
        "new_order": new_order,
        "status": status,
        "fsrs": col.get_config("fsrs", False),
        "answered": answered,
        "reviews_in_collection": col.db.scalar("SELECT count() FROM revlog"),
        "exported": exported,
    }


def cardgen_after_import(mw: Any, params: dict[str, Any]) -> Check:
    """The learner tags a cardgen note, then imports a newer deck: the add-on gives the tag back and
    applies again (the new case's cards go to their band decks).

    Both steps run as Anki's GUI runs them: the tag through aqt's add-tags operation (so the add-on's
    operation hook sees it), the import as a CollectionOp whose initiator is an ImportDialog, which
    is what Anki's import page reports when it finishes (aqt.mediasrv passes the active window).
    The dialog itself is a web page nobody can click headless, so a bare instance stands in for it.
    """
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from aqt.import_export.import_dialog import ImportDialog
    from aqt.operations import CollectionOp
    from aqt.operations.tag import add_tags_to_notes

    gui = sys.modules["cardgen.addon.gui"]
    yield from _say_yes_to_the_first_run(gui)
    col = mw.col
    first_apply = gui.last_plan
    tagged = col.find_notes(params["search"])[0]
    guid = col.get_note(tagged).guid
    added = []
    add_tags_to_notes(parent=mw, note_ids=[tagged], space_separated_tags=params["own_tag"]).success(
        lambda _: added.append(True)).run_in_background()
    while not added:
        yield "the learner's own tag"
    remembered = dict(col.get_config("cardgenOwnTags", {}))

    imported = []
    request = ImportAnkiPackageRequest(package_path=params["newer_deck"],
                                       options=ImportAnkiPackageOptions(with_scheduling=True))
    stand_in = ImportDialog.__new__(ImportDialog)
    CollectionOp(parent=mw, op=lambda col: col.import_anki_package(request)).success(
        lambda _: imported.append(True)).run_in_background(initiator=stand_in)
    while not imported or gui.last_plan is first_apply:
        yield "the import, then the add-on's run after it"
    decks = {}
    for card_id in col.find_cards(params["search"]):
        card = col.get_card(card_id)
        decks.setdefault(col.decks.name(card.did), []).append(card.note().guid)
    return {
        "remembered": remembered,
        "tags_after": col.get_note(tagged).tags,
        "guid": guid,
        "decks": {name: sorted(set(guids)) for name, guids in decks.items()},
        "notes": col.note_count(),
        "last_error": repr(gui.last_error) if gui.last_error else None,
    }


# Ready when the reviewer shows the card whose header is ``key``, its image has loaded and Anki's
# image-occlusion code has sized its canvas (it draws the masks in the same task). Returns where the
# image and the canvas sit in the web view, in CSS pixels.
_OCCLUSION_READY_JS = """(() => {
    const qa = document.getElementById("qa");
    const canvas = document.querySelector("#image-occlusion-canvas");
    const image = document.querySelector("#image-occlusion-container img");
    if (!qa || !canvas || !image || !qa.innerText.includes(%s) || !!document.getElementById("toggle") !== %s) {
        return {waiting: "the card's page"};
    }
    if (!image.complete || canvas.width === 0) {
        return {waiting: "the image and the first drawing"};
    }
    // Drawn for the canvas's present size (a later resize of the view leaves a stale drawing),
    // and the card faded in.
    if (Math.abs(canvas.width - canvas.clientWidth * window.devicePixelRatio) > 1.5) {
        return {waiting: `a drawing at the shown size (${canvas.width} px for ${canvas.clientWidth} CSS px)`};
    }
    if (getComputedStyle(qa).opacity !== "1" || document.getAnimations().length > 0) {
        return {waiting: "the card's fade-in"};
    }
    const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
    return {image: box(image), canvas: box(canvas), canvas_pixels: [canvas.width, canvas.height],
            natural: [image.naturalWidth, image.naturalHeight], device_pixel_ratio: window.devicePixelRatio,
            error: document.getElementById("err") ? document.getElementById("err").innerText : "",
            back_items: Array.from(document.querySelectorAll(".cg-io-back li")).map(
                (li) => [li.className, getComputedStyle(li).color])};
})()"""


def _reviewer_at_final_size(mw: Any, size: list[int], search: str) -> Check:
    """The window at ``size``, the reviewer open on the deck of the first card ``search`` finds, at
    100 % zoom, once the page has the web view's final size (a loaded machine applies the window's
    resize late, and a card shown before it is laid out for the old size)."""
    col = mw.col
    mw.resize(*size)
    col.decks.select(col.get_card(col.find_cards(search)[0]).did)
    mw.moveToState("review")
    while mw.reviewer.card is None:
        yield "the reviewer's first card"
    mw.web.setZoomFactor(1.0)
    sizes: list[Any] = []
    while len(sizes) < 3 or sizes[-1] != [mw.web.width(), mw.web.height()] or sizes[-1] != sizes[-3]:
        mw.web.evalWithCallback("[window.innerWidth, window.innerHeight]", sizes.append)
        yield "the reviewer page's final size"


def occlusion_screens(mw: Any, params: dict[str, Any]) -> Check:
    """The reviewer showing chosen Image Occlusion cards, each grabbed from the web view.

    ``params``: ``cards``: [[name, search, header key]] - the question of the first card a search
    finds is shown, or its answer when "answer" follows the key (the note's Header must contain the
    key, so the check knows the new card is on screen); ``add``: notes
    to make first through the backend's ``add_image_occlusion_note``, as {"image": media file name,
    "occlusions": text, "header": text, "notetype": name, or "" for Anki's stock IO notetype}; ``out``: folder for the PNGs;
    ``size``: the window's size. Returns, per name, the screenshot's path and the geometry the page
    reported, plus the web view's zoom factor.
    """
    import json
    import os
    import time

    col = mw.col
    if params.get("add"):
        if col.models.by_name("Image Occlusion") is None:
            col.add_image_occlusion_notetype()
        for note in params["add"]:
            notetype = col.models.by_name(note["notetype"] or "Image Occlusion")
            col.add_image_occlusion_note(notetype_id=notetype["id"],
                                         image_path=os.path.join(col.media.dir(), note["image"]),
                                         occlusions=note["occlusions"], header=note["header"], back_extra="",
                                         tags=[])
    # Anki's occlusion code sizes its canvas when a card is shown: start at the page's final size.
    yield from _reviewer_at_final_size(mw, params["size"], params["cards"][0][1])
    shots = {}
    for name, search, key, *side in params["cards"]:
        answer = side == ["answer"]
        card = col.get_card(col.find_cards(search)[0])
        card.start_timer()
        seen: list[Any] = [{"waiting": "the card"}]
        started = shown = 0.0
        while "waiting" in (seen[-1] or {"waiting": "the page"}):
            if time.monotonic() - shown > 5:
                if shown and time.monotonic() - started > 25:
                    raise AssertionError(f"{name}: the occlusion card never finished drawing; "
                                         f"waiting for {seen[-1]}")
                # (again, after 5 s: a resize after the card was shown leaves a stale drawing)
                mw.reviewer.card = card
                mw.reviewer._showQuestion()
                if answer:
                    mw.reviewer._showAnswer()
                started = started or time.monotonic()
                shown = time.monotonic()
            mw.web.evalWithCallback(_OCCLUSION_READY_JS % (json.dumps(key), json.dumps(answer)), seen.append)
            yield f"{name}: the occlusion masks ({seen[-1]})"
        # Drawn; grab until two grabs a few frames apart agree (the compositor has put it on screen).
        previous, grab = None, None
        started = time.monotonic()
        while previous is None or grab.toImage() != previous.toImage():
            if time.monotonic() - started > 20:
                raise AssertionError(f"{name}: the reviewer's picture never settled")
            previous = grab
            until = time.monotonic() + 0.3
            while time.monotonic() < until:
                yield f"{name}: a settled frame on screen"
            grab = mw.web.grab()
        path = Path(params["out"]) / f"{name}.png"
        if not grab.save(str(path)):
            raise AssertionError(f"{name}: could not save the web view's grab to {path}")
        shots[name] = {"path": str(path), **seen[-1]}
    return {"shots": shots, "zoom": mw.web.zoomFactor()}


_CARD_IMAGES_JS = """(() => {
    const qa = document.getElementById("qa");
    if (!qa || !qa.innerText.includes(%s)) return {waiting: "the card"};
    const imgs = Array.from(qa.querySelectorAll(".cg-figure img")).filter(i => getComputedStyle(i).display !== "none");
    if (!imgs.length || imgs.some(i => !i.complete || i.naturalWidth === 0)) return {waiting: "its images"};
    if (getComputedStyle(qa).opacity !== "1" || document.getAnimations().length > 0) return {waiting: "the fade"};
    const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
    return {
        images: imgs.map(i => ({box: box(i), natural: [i.naturalWidth, i.naturalHeight],
                                marks: Array.from(i.parentElement.querySelectorAll(".cg-mark"))
                                    .map(m => ({box: box(m), style: m.getAttribute("style")}))})),
        viewport: [window.innerWidth, window.innerHeight],
    };
})()"""


def card_images(mw: Any, params: dict[str, Any]) -> Check:
    """Cards (not Image Occlusion) in the real reviewer: where each image and its marks are drawn.

    ``params``: ``cards``: [[name, search, text on the card, "question" or "answer"]]; ``size``: the
    window's size. Returns, per name, each ``.cg-figure`` image's box on the page and natural size,
    the boxes of the ``.cg-mark`` boxes beside it (with their style, the percentages cardgen wrote)
    and the viewport's size."""
    import json
    import time

    col = mw.col
    yield from _reviewer_at_final_size(mw, params["size"], params["cards"][0][1])
    shown = {}
    for name, search, text, side in params["cards"]:
        card = col.get_card(col.find_cards(search)[0])
        card.start_timer()
        mw.reviewer.card = card
        mw.reviewer._showQuestion()
        if side == "answer":
            mw.reviewer._showAnswer()
        seen: list[Any] = [{"waiting": "the page"}]
        started = time.monotonic()
        while "waiting" in (seen[-1] or {"waiting": "the page"}):
            if time.monotonic() - started > 30:
                raise AssertionError(f"{name}: never shown: waiting for {seen[-1]}")
            mw.web.evalWithCallback(_CARD_IMAGES_JS % json.dumps(text), seen.append)
            yield f"{name}: {seen[-1]}"
        shown[name] = seen[-1]
    return {"cards": shown}
