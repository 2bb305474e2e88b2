"""The walls between cardgen's packages, read from the imports (docs/architecture.md).

Every module under ``cardgen/`` is parsed with :mod:`ast`; every import of a cardgen module is
collected: at the top level, inside ``if TYPE_CHECKING:`` and inside functions, relative imports
resolved. Each module belongs to a *unit*: its top-level package (``cardgen.imaging.render`` is in
``imaging``) or, for a top-level module, the module itself (``cardgen.tags`` is ``tags``). The rules:

- **rank**: a unit imports only units of a lower rank in :data:`RANKS`; never one of its own rank
  (siblings) or above. Foundation modules (rank 0) may import each other.
- **cycle**: no import cycle among the modules of one package, nor among foundation modules.
  A cycle between packages always contains an import that breaks the rank rule; that message
  names the cycle it closes.
- **lazy**: an import of a cardgen module inside a function is listed in :data:`ALLOWED_LAZY`
  with the reason it cannot be at the top. Where the reason is the rebuild (no numpy, Pillow,
  pydicom or genanki when nothing changed), a test checks it: the importer alone loads none of
  them, the lazily imported module does.

An :data:`ALLOWED_LAZY` or :data:`RANKS` entry that no longer matches the code fails too, so the
lists hold only what is there. The ``test_checker_*`` tests run the checker on made-up modules so
that each rule is seen to fail.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "cardgen"

# The one rank table (docs/architecture.md explains it). Lower ranks are imported by higher ones.
RANKS = {
    # foundation: small modules anything may use; they may import each other (without cycles)
    "cardgen": 0,  # cardgen/__init__.py: the version and the homepage
    "errors": 0,
    "tags": 0,
    "resources": 0,
    "confine": 0,
    "yamlio": 0,
    "yamlspec": 0,
    "yamlmarks": 0,
    "difficulty": 0,
    "atomic": 0,
    "filestamp": 0,
    "zipmember": 0,
    "scratch": 0,
    "interrupts": 0,
    "weburl": 0,
    "imaging": 1,  # reading image files, display-ready pixels, encoding
    "deid": 2,  # de-identification: patterns, matching, text, burned-in rules, media checks, audit
    "annotations": 3,  # annotation readers, shapes, clipping, drawing
    "teaching": 4,  # case.yaml loading, the case model, stacks
    "curriculum": 5,  # the tree, loading, teaching order, deck names and tags
    "cards": 6,  # plain data: note specs, notetype descriptions, GUIDs, card HTML
    "deck": 7,  # the genanki boundary and the zip packing
    "learners": 8,  # learners database, fits, reports
    "build": 9,  # the pipeline, the per-case job, workers, the cache
    "check": 10,
    "pacs": 10,
    "addon": 10,
    "preview": 11,
    "cli_support": 12,
    "cli": 13,
    "docs": 14,
    "entry": 14,
    "__main__": 15,
}
FOUNDATION = 0

# Files under cardgen/ that are not cardgen modules: the add-on's __init__.py, packed under another name.
NOT_MODULES = {"addon/files/entry.py"}

# In-function imports of cardgen modules that have to stay in the function, and why.
START_UP = ("start-up: only this command needs it, and `cardgen --help` and every other command would "
            "pay for loading it (docs/performance.md)")
CACHED_BUILD = ("a rebuild with every case cached loads no numpy, Pillow or pydicom (tests/test_speed_cache.py); "
                "this module loads them")
NO_PACKAGE = "a rebuild that changes nothing writes no package and loads no genanki (tests/test_speed_cache.py)"
ALLOWED_LAZY = {
    ("cardgen.imaging.registry", "cardgen.imaging.dicom"): CACHED_BUILD,
    ("cardgen.imaging.registry", "cardgen.imaging.raster"): CACHED_BUILD,
    ("cardgen.imaging.render", "cardgen.imaging.dicom"): CACHED_BUILD,
    ("cardgen.imaging.render", "cardgen.imaging.overlays"): CACHED_BUILD,
    ("cardgen.annotations.render", "cardgen.annotations.draw"): CACHED_BUILD,
    ("cardgen.entry", "cardgen.cli"): "Ctrl-C while the command line is loading prints 'Aborted!'",
    ("cardgen.cli", "cardgen.teaching.skeleton"): START_UP,
    ("cardgen.cli", "cardgen.preview"): START_UP,
    ("cardgen.cli", "cardgen.pacs"): START_UP,
    ("cardgen.cli", "cardgen.pacs.server"): START_UP,
    ("cardgen.cli", "cardgen.addon.package"): START_UP,
    ("cardgen.build.checks", "cardgen.teaching.annotation_files"): CACHED_BUILD,
    ("cardgen.build.checks", "cardgen.teaching.stacks"): CACHED_BUILD,
    ("cardgen.build.checks", "cardgen.imaging.dicom"): CACHED_BUILD,
    ("cardgen.build.checks", "cardgen.imaging.decode"): CACHED_BUILD,
    ("cardgen.build.checks", "cardgen.imaging.display"): CACHED_BUILD,
    ("cardgen.build.headers", "cardgen.imaging.dicom"): CACHED_BUILD,
    ("cardgen.build.pipeline", "cardgen.deck.package"): NO_PACKAGE,
}



@dataclass(frozen=True)
class Import:
    """One import of a cardgen module: who imports what, on which line, inside a function or not."""

    importer: str
    imported: str
    line: int
    lazy: bool


@dataclass(frozen=True)
class Violation:
    """One broken rule for one (importer, imported) pair, with every line it happens on."""

    rule: str
    importer: str
    imported: str
    lines: tuple[int, ...]
    why: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.importer, self.imported)

    def __str__(self) -> str:
        where = ", ".join(str(line) for line in self.lines)
        return f"{self.importer} (line {where}) imports {self.imported}: [{self.rule}] {self.why}"


def unit_of(module: str) -> str:
    """The unit a module belongs to: its top-level package, or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def read_package(root: Path = PACKAGE_ROOT) -> dict[str, tuple[str, bool]]:
    """Every module under ``root``: its dotted name -> (source, whether it is a package)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.as_posix() in NOT_MODULES:
            continue
        parts = [root.name, *relative.with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path.read_text(encoding="utf-8"), is_package)
    return modules


def imports_of(module: str, source: str, is_package: bool, known: set[str]) -> list[Import]:
    """The imports of cardgen modules in ``source``; ``from p import m`` is ``p.m`` when that is a module."""
    package = module if is_package else module.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    start = ".".join(base + ([child.module] if child.module else []))
                else:
                    start = child.module or ""
                targets = [f"{start}.{alias.name}" if f"{start}.{alias.name}" in known else start
                           for alias in child.names]
            else:
                inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                visit(child, inner)
                continue
            for target in dict.fromkeys(targets):
                if target == "cardgen" or target.startswith("cardgen."):
                    found.append(Import(module, target, child.lineno, lazy))

    visit(ast.parse(source), False)
    return found


def _cycle_from(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A path start -> ... -> goal in ``graph`` (breadth first), or None."""
    previous = {start: None}
    queue = [start]
    for node in queue:
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for following in sorted(graph.get(node, ())):
            if following not in previous:
                previous[following] = node
                queue.append(following)
    return None


def _strongly_connected(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each node's strongly connected component (Tarjan); nodes on one cycle share a number."""
    index, low, component, stack, on_stack = {}, {}, {}, [], set()

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for following in graph.get(node, ()):
            if following not in index:
                connect(following)
                low[node] = min(low[node], low[following])
            elif following in on_stack:
                low[node] = min(low[node], index[following])
        if low[node] == index[node]:
            number = len(set(component.values()))
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component[member] = number
                if member == node:
                    break

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return component


def check(modules: dict[str, tuple[str, bool]], ranks: dict[str, int],
          allowed_lazy: dict[tuple[str, str], str]) -> list[Violation]:
    """Every broken rule in ``modules`` (dotted name -> (source, is package))."""
    known = set(modules)
    imports = [found for name, (source, is_package) in sorted(modules.items())
               for found in imports_of(name, source, is_package, known)]
    lines = defaultdict(list)
    for found in imports:
        lines[found.importer, found.imported].append(found.line)
    units = defaultdict(set)
    for importer, imported in lines:
        if unit_of(importer) != unit_of(imported):
            units[unit_of(importer)].add(unit_of(imported))

    broken = {}

    def add(rule: str, importer: str, imported: str, why: str) -> None:
        at = tuple(sorted(set(lines[importer, imported])))
        broken.setdefault((rule, importer, imported), Violation(rule, importer, imported, at, why))

    for importer, imported in lines:
        here, there = unit_of(importer), unit_of(imported)
        if here == there:
            continue
        if here not in ranks or there not in ranks:
            unranked = here if here not in ranks else there
            add("rank", importer, imported, f"'{unranked}' has no rank: add it to RANKS in this test")
            continue
        if ranks[here] == ranks[there] == FOUNDATION:
            continue
        if ranks[there] >= ranks[here]:
            kind = "a sibling" if ranks[there] == ranks[here] else "a higher"
            why = (f"{here} (rank {ranks[here]}) imports {kind} rank: {there} (rank {ranks[there]}); "
                   f"a unit may import only lower ranks")
            cycle = _cycle_from(units, there, here)
            if cycle:
                why += "; this closes the package cycle " + " -> ".join([here, *cycle])
            add("upward" if ranks[there] > ranks[here] else "sibling", importer, imported, why)

    # Cycles among the modules of one package, and among the foundation modules.
    def together(importer: str, imported: str) -> bool:
        here, there = unit_of(importer), unit_of(imported)
        return here == there or (ranks.get(here) == ranks.get(there) == FOUNDATION)

    graph = defaultdict(set)
    for importer, imported in lines:
        if importer != imported and together(importer, imported):
            graph[importer].add(imported)
    component = _strongly_connected(graph)
    for importer in sorted(graph):
        for imported in sorted(graph[importer]):
            if component[importer] == component[imported]:
                cycle = _cycle_from(graph, imported, importer)
                add("cycle", importer, imported,
                    "import cycle " + " -> ".join([importer, *cycle]) + "; move what both need "
                    "into a module they both import")

    lazy = defaultdict(set)
    for found in imports:
        if found.lazy and (found.importer, found.imported) not in allowed_lazy:
            lazy[found.importer, found.imported].add(found.line)
    for (importer, imported), at in lazy.items():
        broken["lazy", importer, imported] = Violation(
            "lazy", importer, imported, tuple(sorted(at)),
            "import inside a function: move it to the top of the module, or list it in ALLOWED_LAZY "
            "with the reason it must stay")
    return sorted(broken.values(), key=lambda v: v.key)


def lazy_pairs(modules: dict[str, tuple[str, bool]]) -> set[tuple[str, str]]:
    """Every (importer, imported) pair with an import inside a function."""
    known = set(modules)
    return {(found.importer, found.imported) for name, (source, is_package) in modules.items()
            for found in imports_of(name, source, is_package, known) if found.lazy}


@pytest.fixture(scope="module")
def cardgen_modules() -> dict[str, tuple[str, bool]]:
    return read_package()


def test_imports_respect_the_walls(cardgen_modules):
    broken = check(cardgen_modules, RANKS, ALLOWED_LAZY)
    assert not broken, "imports that break the walls (docs/architecture.md):\n" + "\n".join(map(str, broken))


def test_allowed_lazy_imports_are_still_there(cardgen_modules):
    gone = sorted(set(ALLOWED_LAZY) - lazy_pairs(cardgen_modules))
    assert not gone, ("no longer imported inside a function: remove these from ALLOWED_LAZY:\n"
                      + "\n".join(map(str, gone)))


@pytest.mark.parametrize("importer, imported", sorted(pair for pair, reason in ALLOWED_LAZY.items()
                                                     if reason in (CACHED_BUILD, NO_PACKAGE)))
def test_lazy_imports_for_the_rebuild_keep_a_library_out(importer, imported):
    # The reason given is true: the importer alone loads none of these libraries, the import does.
    code = ("import importlib, sys\n"
            "heavy = lambda: sorted({'numpy', 'PIL', 'pydicom', 'genanki'} & set(sys.modules))\n"
            f"importlib.import_module({importer!r}); print(heavy())\n"
            f"importlib.import_module({imported!r}); print(heavy())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PACKAGE_ROOT.parent)
    alone, with_import = result.stdout.split("\n")[:2]
    assert alone == "[]", f"{importer} loads {alone} by itself: its lazy import of {imported} saves nothing"
    assert with_import != "[]", f"{imported} loads none of numpy, Pillow, pydicom, genanki: import it at the top"


def test_every_unit_has_a_rank(cardgen_modules):
    missing = sorted({unit_of(name) for name in cardgen_modules} - set(RANKS))
    assert not missing, f"add these to RANKS in tests/test_architecture.py: {missing}"


def test_every_rank_is_a_unit(cardgen_modules):
    gone = sorted(set(RANKS) - {unit_of(name) for name in cardgen_modules})
    assert not gone, f"no such package or module under cardgen/: remove these from RANKS: {gone}"


# The checker itself, on made-up modules, so that each rule is seen to fail.

def _modules(**sources: str) -> dict[str, tuple[str, bool]]:
    """Made-up modules: ``imaging__render="..."`` is cardgen.imaging.render; a trailing ``__init__`` is a package."""
    modules = {}
    for name, source in sources.items():
        parts = ["cardgen", *name.split("__")]
        is_package = parts[-1] == "init"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (source, is_package)
    return modules


def _keys(modules, allowed_lazy=None) -> set[tuple[str, str, str]]:
    return {v.key for v in check(modules, RANKS, allowed_lazy or {})}


def test_checker_catches_an_upward_import():
    modules = _modules(imaging__render="from cardgen.teaching.case import Case\n",
                       teaching__case="from cardgen.imaging import render\n", teaching__init="",
                       imaging__init="")
    violations = check(modules, RANKS, {})
    assert [v.key for v in violations] == [("upward", "cardgen.imaging.render", "cardgen.teaching.case")]
    assert "line 1" in str(violations[0]) and "rank 4" in str(violations[0])
    assert "package cycle imaging -> teaching -> imaging" in str(violations[0])


def test_checker_catches_a_sibling_and_a_relative_import():
    modules = _modules(pacs__init="from ..check import check_cases\n", check="",
                       imaging__stacks="from ..teaching import case\n", teaching__init="", teaching__case="")
    assert _keys(modules) == {("sibling", "cardgen.pacs", "cardgen.check"),
                              ("upward", "cardgen.imaging.stacks", "cardgen.teaching.case")}


def test_checker_catches_a_cycle_inside_a_package():
    modules = _modules(curriculum__model="from cardgen.curriculum import csvio\n",
                       curriculum__csvio="def f():\n    from .model import Tree\n",
                       curriculum__init="")
    assert _keys(modules, {("cardgen.curriculum.csvio", "cardgen.curriculum.model"): "test"}) == {
        ("cycle", "cardgen.curriculum.model", "cardgen.curriculum.csvio"),
        ("cycle", "cardgen.curriculum.csvio", "cardgen.curriculum.model"),
    }


def test_checker_catches_a_cycle_among_foundation_modules():
    modules = _modules(tags="import cardgen.errors\n", errors="from cardgen import tags\n",
                       yamlio="import cardgen.errors\n")
    assert _keys(modules) == {("cycle", "cardgen.tags", "cardgen.errors"), ("cycle", "cardgen.errors", "cardgen.tags")}


def test_checker_catches_an_unlisted_lazy_import():
    source = "import os\n\ndef f():\n    if os:\n        from cardgen.imaging import dicom\n"
    modules = _modules(teaching__skeleton=source, imaging__dicom="", imaging__init="")
    violations = check(modules, RANKS, {})
    assert [v.key for v in violations] == [("lazy", "cardgen.teaching.skeleton", "cardgen.imaging.dicom")]
    assert violations[0].lines == (5,)
    assert check(modules, RANKS, {("cardgen.teaching.skeleton", "cardgen.imaging.dicom"): "test"}) == []


def test_checker_reads_type_checking_imports_and_package_relative_imports():
    modules = _modules(imaging__init="from . import render\n", imaging__render="",
                       imaging__encode="from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                       "    from cardgen.cards.notes import Note\n")
    assert _keys(modules) == {("upward", "cardgen.imaging.encode", "cardgen.cards.notes")}
    assert imports_of("cardgen.imaging", "from . import render\n", True, set(modules)) == [
        Import("cardgen.imaging", "cardgen.imaging.render", 1, False)]


def test_checker_asks_for_a_rank_for_a_new_unit():
    modules = _modules(newthing="from cardgen.errors import CardgenError\n", errors="")
    assert _keys(modules) == {("rank", "cardgen.newthing", "cardgen.errors")}
