"""``cardgen preview``: a static HTML page per case, to see the cards and place shapes by eye.

Each page shows every card of the case, question and answer, as Anki itself renders them from the
deck's own templates (the deck is built, imported into a temporary collection through the ``anki``
backend, and each card's ``question()``/``answer()`` taken with its notetype's CSS); each image of the
case at its own pixel size with the case's shapes drawn over it, a grid that can be switched on, and
the image coordinates under the pointer; and the problems ``cardgen check`` finds, at the top. Image
Occlusion masks are drawn by Anki's reviewer script, which a static page does not have: the page
draws them the same way from the card's own occlusion data (:data:`_OCCLUSION_SCRIPT`; the desktop
and the page are compared in tests/test_preview.py).

``--watch`` writes the page of a case again when a file of its folder changes.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cardgen.annotations.shapes import as_written
from cardgen.build import BuildOptions, build_deck
from cardgen.check import check_cases
from cardgen.errors import BuildFailed, CardgenError, InputError
from cardgen.imaging.masks import mask_rectangles
from cardgen.imaging.registry import source_for
from cardgen.scratch import scratch_folder
from cardgen.tags import CASE_PREFIX, case_tag_word
from cardgen.teaching.case import Case
from cardgen.teaching.loader import find_case_files, load_case
from cardgen.teaching.stacks import resolve_image

GRID_STEP = 10  # pixels between grid lines (every fifth line is stronger)


@dataclass
class PreviewResult:
    """What a preview wrote."""

    pages: list[Path] = field(default_factory=list)
    cards: int = 0
    problems: int = 0


def page_name(cases_dir: Path, case_file: Path) -> str:
    """The page of a case: its folder's path under the cases folder, '/' as '__'."""
    relative = case_file.parent.relative_to(cases_dir).as_posix()
    return (relative.replace("/", "__") if relative != "." else case_file.parent.name) + ".html"


def write_preview(cases_dir: Path, out: Path, curriculum: Path | None = None,
                  only: list[Path] | None = None) -> PreviewResult:
    """Write a page per case under ``cases_dir`` (or only for the case files in ``only``) and an index."""
    case_files = find_case_files(cases_dir)
    _refuse_output_among_cases(cases_dir, out, case_files)
    out.mkdir(parents=True, exist_ok=True)
    targets = only if only is not None else case_files
    report = check_cases(cases_dir, curriculum)
    problems: dict[Path, list[InputError]] = {}
    for problem in report.problems:
        owner = next((f for f in case_files if problem.file is not None and
                      (problem.file == f or f.parent in problem.file.parents)), None)
        problems.setdefault(owner, []).append(problem)
    result = PreviewResult(problems=len(report.problems))
    for case_file in targets:
        case = _load(case_file)
        cards = _rendered_cards(case_file.parent, out, curriculum) if case is not None and \
            not problems.get(case_file) else []
        result.cards += len(cards)
        images = _grid_images(case, out) if case is not None else []
        page = out / page_name(cases_dir, case_file)
        page.write_text(_page(case_file, case, cards, images, problems.get(case_file, [])), encoding="utf-8")
        result.pages.append(page)
    (out / "index.html").write_text(_index(cases_dir, case_files, problems), encoding="utf-8")
    return result


def _refuse_output_among_cases(cases_dir: Path, out: Path, case_files: list[Path]) -> None:
    """The pages go beside the cases, never among them: written into a case folder they would be
    taken for a change to the case by ``--watch`` (which wrote the page again, for ever), and
    ``index.html`` would replace an educator's own file of that name in the cases folder."""
    where = out.resolve()
    case_folders = {f.parent.resolve() for f in case_files}
    if where == cases_dir.resolve() or any(where == f or f in where.parents for f in case_folders):
        raise InputError("the preview's output folder is the cases folder, a case folder or inside one",
                         file=out, hint="write the pages outside the case folders, "
                                        f"e.g. -o {cases_dir.resolve().parent / 'preview'}")


def watch(cases_dir: Path, out: Path, curriculum: Path | None, on_change: Callable[[list[Path]], None],
          interval: float = 1.0, rounds: int | None = None) -> None:
    """Poll the case folders; when files of a case change, write its page again and call ``on_change``."""
    seen = _stamps(cases_dir)
    done = 0
    while rounds is None or done < rounds:
        time.sleep(interval)
        done += 1
        now = _stamps(cases_dir)
        changed = sorted(f for f in now if now[f] != seen.get(f))
        seen = now
        if changed:
            write_preview(cases_dir, out, curriculum, only=changed)
            on_change(changed)


def _stamps(cases_dir: Path) -> dict[Path, tuple]:
    stamps = {}
    for case_file in find_case_files(cases_dir):
        files = sorted(p for p in case_file.parent.rglob("*") if p.is_file())
        stamps[case_file] = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return stamps


def _load(case_file: Path) -> Case | None:
    try:
        return load_case(case_file)
    except CardgenError:
        return None


@dataclass(frozen=True)
class RenderedCard:
    """One card as Anki renders it."""

    notetype: str
    ordinal: int
    question: str
    answer: str
    css: str


def _rendered_cards(case_dir: Path, out: Path, curriculum: Path | None) -> list[RenderedCard]:
    """Build the case's deck, import it into a temporary collection, and render every card."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    with scratch_folder("preview") as scratch:
        deck = Path(scratch) / "case.apkg"
        try:
            build_deck(BuildOptions(cases_dir=case_dir, out=deck, curriculum=curriculum, jobs=1))
        except (BuildFailed, CardgenError):
            return []
        col = Collection(str(Path(scratch) / "collection.anki2"))
        try:
            col.import_anki_package(ImportAnkiPackageRequest(
                package_path=str(deck), options=ImportAnkiPackageOptions(with_scheduling=False)))
            media = Path(col.media.dir())
            for file in media.iterdir():  # the media the cards name, beside the page
                if file.is_file():
                    shutil.copyfile(file, out / file.name)
            cards = []
            for card_id in sorted(col.find_cards(f'"tag:{CASE_PREFIX}*"')):
                card = col.get_card(card_id)
                notetype = card.note_type()
                cards.append(RenderedCard(notetype["name"], card.ord, card.question(), card.answer(), notetype["css"]))
            return sorted(cards, key=lambda c: (c.notetype, c.ordinal))
        finally:
            col.close()


@dataclass(frozen=True)
class GridImage:
    """A case image at its own pixel size, and the shapes drawn on it."""

    image_id: str
    file: str  # the PNG beside the page
    width: int
    height: int
    shapes: tuple[dict, ...]


def _grid_images(case: Case, out: Path) -> list[GridImage]:
    images = []
    for index, image in enumerate(case.images):
        try:
            resolved = resolve_image(image, case.source, f"images[{index}]")
            picture = source_for(resolved.key_path).read(resolved.key_path, resolved.key_frame, image.windows[0])
        except CardgenError:
            continue
        for mask in image.masks:
            picture = mask_rectangles(picture, [mask])
        name = f"grid-{case_tag_word(case.id)}-{index}.png"
        picture.convert("RGB").save(out / name)
        shapes = tuple(as_written(s) for f in case.findings if f.image_id == image.id for s in f.shapes)
        images.append(GridImage(image.id, name, picture.width, picture.height, shapes))
    return images


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
.problems { background: #fdecea; border: 1px solid #c62828; padding: 0.5em 1em; }
.problems li { font-family: monospace; white-space: pre-wrap; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; }
.cardbox { border: 1px solid #bbb; width: 30em; }
.cardbox h3 { margin: 0; padding: 0.3em 0.6em; background: #eee; font-size: 0.9em; }
.side { border-top: 1px dashed #bbb; padding: 0.3em; overflow: auto; max-height: 40em; }
.side img { max-width: 100%; }
.side #image-occlusion-container { position: relative; display: inline-block; max-width: 100%; line-height: 0; }
.side #image-occlusion-container img { display: block; }
.side #image-occlusion-canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
.grid-wrap { position: relative; display: inline-block; margin: 0.5em 0; }
.grid-wrap img { display: block; image-rendering: pixelated; }
.grid-wrap svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
.grid { display: none; }
body.show-grid .grid { display: inline; }
.shape { fill: none; stroke: #00e5ff; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.coords { font-family: monospace; min-height: 1.2em; }
"""

_SCRIPT = """
function setGrid(on) {
  document.body.classList.toggle('show-grid', on);
  document.getElementById('grid-toggle').checked = on;
}
document.getElementById('grid-toggle').addEventListener('change', e => setGrid(e.target.checked));
document.querySelectorAll('.grid-wrap').forEach(wrap => {
  const img = wrap.querySelector('img'), out = wrap.parentElement.querySelector('.coords');
  wrap.addEventListener('mousemove', e => {
    const r = img.getBoundingClientRect();
    const x = Math.floor((e.clientX - r.left) * img.naturalWidth / r.width);
    const y = Math.floor((e.clientY - r.top) * img.naturalHeight / r.height);
    out.textContent = 'x ' + x + ', y ' + y;
  });
});
setGrid(location.hash === '#grid');
window.addEventListener('load', () => {
  document.querySelectorAll('.side').forEach(s => {
    const r = s.getBoundingClientRect();
    s.dataset.visible = (r.width > 0 && r.height > 0) ? '1' : '0';
  });
  document.body.dataset.ready = '1';
});
"""


# The masks of an Image Occlusion card, drawn as Anki's reviewer draws them (its behaviour, from
# ts/routes/image-occlusion/review.ts and shapes/: the rendered cloze divs of the card carry each
# shape in fractions of the image; "cloze" is the card's own region, "cloze-inactive" another one,
# drawn only when the note hides all, "cloze-highlight" the region revealed on the back; the colours
# and borders come from the canvas's CSS variables, with Anki's stock values as defaults; a
# polygon is moved so that its points' top-left corner is at its left/top, so a note whose
# left/top disagree with its points shows its mask where the learner would see it). The page holds
# every card of a case, so each call draws in the card side of the script that made it.
_OCCLUSION_SCRIPT = """
window.anki = window.anki || {};
window.anki.imageOcclusion = {setup: function () {
  const script = document.currentScript;
  const side = script && script.closest('.side');
  if (!side) return;
  const container = side.querySelector('#image-occlusion-container');
  const canvas = side.querySelector('#image-occlusion-canvas');
  const img = container && container.querySelector('img');
  if (!canvas || !img) return;
  const toggle = side.querySelector('#toggle');
  if (toggle) toggle.addEventListener('click', () => {
    canvas.style.display = canvas.style.display === 'none' ? '' : 'none';
  });
  const style = name => getComputedStyle(canvas).getPropertyValue(name).trim();
  const border = (name, color) => {
    const parts = style(name).split(' ').filter(x => x);
    const width = parseFloat(parts[0]);
    return {width: isNaN(width) ? 1 : width, color: parts[1] || color};
  };
  const shapes = selector => Array.from(side.querySelectorAll('div' + selector)).filter(
    d => ['rect', 'ellipse', 'polygon', 'text'].includes(d.dataset.shape));
  const number = (value, otherwise) => { const v = parseFloat(value); return isNaN(v) ? otherwise : v; };
  function draw() {
    if (!img.naturalWidth) return;
    canvas.width = Math.round(canvas.clientWidth * (window.devicePixelRatio || 1));
    canvas.height = Math.round(canvas.clientHeight * (window.devicePixelRatio || 1));
    const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const groups = [
      [shapes('.cloze'), style('--active-shape-color') || '#ff8e8e', border('--active-shape-border', '#212121')],
      [shapes('.cloze-inactive').filter(d => d.dataset.occludeinactive === '1'),
       style('--inactive-shape-color') || '#ffeba2', border('--inactive-shape-border', '#212121')],
      [shapes('.cloze-highlight'), style('--highlight-shape-color') || '#ff8e8e00',
       border('--highlight-shape-border', '#ff8e8e')],
    ];
    let drawn = 0;
    for (const [divs, fill, line] of groups) {
      for (const d of divs) {
        const left = number(d.dataset.left, 0) * w, top = number(d.dataset.top, 0) * h;
        ctx.fillStyle = fill; ctx.strokeStyle = line.color; ctx.lineWidth = line.width;
        const kind = d.dataset.shape;
        if (kind === 'rect') {
          const rw = number(d.dataset.width, 0) * w, rh = number(d.dataset.height, 0) * h;
          ctx.fillRect(left, top, rw, rh);
          if (line.width) ctx.strokeRect(left, top, rw, rh);
        } else if (kind === 'ellipse') {
          const rx = number(d.dataset.rx, 0) * w, ry = number(d.dataset.ry, 0) * h;
          ctx.beginPath(); ctx.ellipse(left + rx, top + ry, rx, ry, 0, 0, 2 * Math.PI); ctx.closePath();
          ctx.fill(); if (line.width) ctx.stroke();
        } else if (kind === 'polygon') {
          const points = (d.dataset.points || '0,0').split(' ').map(
            p => p.split(',').map(Number)).map(([x, y]) => [x * w, y * h]);
          const dx = left - Math.min(...points.map(p => p[0])), dy = top - Math.min(...points.map(p => p[1]));
          ctx.beginPath();
          points.forEach(([x, y], i) => i ? ctx.lineTo(x + dx, y + dy) : ctx.moveTo(x + dx, y + dy));
          ctx.closePath(); ctx.fill(); if (line.width) ctx.stroke();
        } else {
          const scale = number(d.dataset.scale, 1), size = d.dataset.fontSize ? number(d.dataset.fontSize, 0) * h : 40;
          ctx.save(); ctx.font = size + 'px Arial'; ctx.textBaseline = 'top'; ctx.scale(scale, scale);
          const lines = (d.dataset.text || '').split('\\n'), m = ctx.measureText('M');
          const lineHeight = 1.5 * (m.actualBoundingBoxAscent + m.actualBoundingBoxDescent);
          const widest = Math.max(...lines.map(t => ctx.measureText(t).width));
          ctx.fillStyle = '#ffffff';
          ctx.fillRect(left / scale, top / scale, widest + 5, lines.length * lineHeight + 5);
          ctx.fillStyle = '#000000';
          lines.forEach((t, i) => ctx.fillText(t, left / scale, top / scale + i * lineHeight));
          ctx.restore();
        }
        drawn += 1;
      }
    }
    canvas.dataset.drawn = String(drawn);
    const box = canvas.getBoundingClientRect();
    canvas.dataset.box = [box.left + scrollX, box.top + scrollY, box.width, box.height].join(',');
  }
  if (img.complete) draw(); else img.addEventListener('load', draw);
  window.addEventListener('resize', draw);
  window.addEventListener('load', draw);
}};
"""


# In Anki every card side is a page of its own, and the templates' scripts look up elements in the
# whole ``document`` (the occlusion back marks the finding asked in "the" list). On the preview's
# one page per case, each script gets a ``document`` that looks only inside its own card side.
_SIDE_DOCUMENT = (
    "(function () { const side = document.currentScript.closest('.side'); return {"
    " querySelector: s => side.querySelector(s), querySelectorAll: s => side.querySelectorAll(s),"
    " getElementById: id => side.querySelector('#' + CSS.escape(id)), get body() { return side; },"
    " get documentElement() { return document.documentElement; }, get currentScript() { return document.currentScript; },"
    " createElement: (...a) => document.createElement(...a), addEventListener: (...a) => document.addEventListener(...a),"
    " }; })()")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S | re.I)


def _own_page_scripts(side_html: str) -> str:
    """``side_html`` with each inline script run as if the card side were the whole page."""
    return _INLINE_SCRIPT.sub(lambda m: f"<script>(function (document) {{{m.group(1)}\n}})({_SIDE_DOCUMENT});</script>",
                              side_html)


def _svg_shape(shape: dict) -> str:
    kind = shape["kind"]
    if kind == "rect":
        return f'<rect class="shape" x="{shape["x"]}" y="{shape["y"]}" width="{shape["width"]}" height="{shape["height"]}"/>'
    if kind == "ellipse":
        rx, ry = shape["width"] / 2, shape["height"] / 2
        return f'<ellipse class="shape" cx="{shape["x"] + rx}" cy="{shape["y"] + ry}" rx="{rx}" ry="{ry}"/>'
    if kind == "polygon":
        points = " ".join(f"{x},{y}" for x, y in shape["points"])
        return f'<polygon class="shape" points="{points}"/>'
    if kind == "arrow":
        (x1, y1), (x2, y2) = shape["from"], shape["to"]
        return f'<line class="shape" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/><circle class="shape" cx="{x2}" cy="{y2}" r="2"/>'
    x, y = shape["at"]
    return f'<circle class="shape" cx="{x}" cy="{y}" r="3"/>'


def _grid_svg(image: GridImage) -> str:
    lines = []
    for x in range(GRID_STEP, image.width, GRID_STEP):
        strong = " stroke-opacity='0.8'" if x % (5 * GRID_STEP) == 0 else ""
        lines.append(f"<line x1='{x}' y1='0' x2='{x}' y2='{image.height}'{strong}/>")
    for y in range(GRID_STEP, image.height, GRID_STEP):
        strong = " stroke-opacity='0.8'" if y % (5 * GRID_STEP) == 0 else ""
        lines.append(f"<line x1='0' y1='{y}' x2='{image.width}' y2='{y}'{strong}/>")
    return (f"<g class='grid' stroke='#ffeb3b' stroke-opacity='0.35' stroke-width='1' "
            f"vector-effect='non-scaling-stroke'>{''.join(lines)}</g>")


def _page(case_file: Path, case: Case | None, cards: list[RenderedCard], images: list[GridImage],
          problems: list[InputError]) -> str:
    title = html.escape(case.title if case is not None else case_file.parent.name)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>",
             f"<style>{_STYLE}</style>",
             # Anki's reviewer provides anki.imageOcclusion, which draws the masks; the page draws them alike.
             f"<script>{_OCCLUSION_SCRIPT}</script>"]
    for css in dict.fromkeys(card.css for card in cards):
        parts.append(f"<style>{css}</style>")
    parts.append(f"</head><body><p><a href='index.html'>All cases</a></p><h1>{title}</h1>")
    parts.append(f"<p>{html.escape(str(case_file))}</p>")
    if problems:
        parts.append(f"<div class='problems' id='problems'><h2>{len(problems)} problem(s)</h2><ul>")
        parts += [f"<li>{html.escape(str(p))}</li>" for p in problems]
        parts.append("</ul><p>Fix them and run cardgen preview again (or keep --watch running).</p></div>")
    parts.append("<h2>Images</h2><label><input type='checkbox' id='grid-toggle'> pixel grid "
                 f"(a line every {GRID_STEP} pixels, stronger every {5 * GRID_STEP})</label>")
    for image in images:
        shapes = "".join(_svg_shape(s) for s in image.shapes)
        parts.append(f"<div class='image'><h3>{html.escape(image.image_id)}: {image.width} x {image.height} pixels</h3>"
                     f"<div class='grid-wrap'><img src='{image.file}' width='{image.width}' height='{image.height}' "
                     f"alt='{html.escape(image.image_id)}'><svg viewBox='0 0 {image.width} {image.height}' "
                     f"preserveAspectRatio='none'>{_grid_svg(image)}{shapes}</svg></div>"
                     "<div class='coords'>move the pointer over the image</div></div>")
    parts.append(f"<h2>Cards ({len(cards)})</h2><p>As Anki renders them from the deck's templates, with "
                 "Image Occlusion masks drawn as Anki's reviewer draws them.</p>"
                 "<div class='cards'>")
    for number, card in enumerate(cards, start=1):
        parts.append(f"<div class='cardbox' data-card='{number}'><h3>{html.escape(card.notetype)}, card {card.ordinal + 1}</h3>"
                     f"<div class='side question card'>{_own_page_scripts(card.question)}</div>"
                     f"<div class='side answer card'>{_own_page_scripts(card.answer)}</div></div>")
    parts.append(f"</div><script>{_SCRIPT}</script></body></html>")
    return "".join(parts)


def _index(cases_dir: Path, case_files: list[Path], problems: dict[Path, list[InputError]]) -> str:
    rows = []
    for case_file in case_files:
        count = len(problems.get(case_file, []))
        state = f"{count} problem(s)" if count else "ok"
        rows.append(f"<li><a href='{page_name(cases_dir, case_file)}'>{html.escape(case_file.parent.relative_to(cases_dir).as_posix() or case_file.parent.name)}</a>: {state}</li>")
    loose = [p for owner, items in problems.items() if owner is None for p in items]
    extra = "".join(f"<li>{html.escape(str(p))}</li>" for p in loose)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>cardgen preview</title>"
            f"<style>{_STYLE}</style></head><body><h1>Cases in {html.escape(str(cases_dir))}</h1><ul>{''.join(rows)}</ul>"
            + (f"<div class='problems'><ul>{extra}</ul></div>" if extra else "") + "</body></html>")


