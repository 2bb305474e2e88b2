"""The templates folder: Anki card templates (read verbatim) and Jinja2 field fragments (autoescaped)."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

from cardgen.resources import TEMPLATES_DIR, jinja_environment


def render_fragment(name: str, **values: object) -> Markup:
    """Render ``templates/<name>`` (a Jinja2 field fragment) to safe HTML: every value is escaped."""
    return Markup(jinja_environment().get_template(name).render(**values))


@lru_cache(maxsize=None)
def anki_template(name: str) -> str:
    """An Anki card template or stylesheet from ``templates/anki/``, verbatim."""
    return (TEMPLATES_DIR / "anki" / name).read_text(encoding="utf-8")


def templates_mtime() -> int:
    """The newest modification time among the templates (an input of every deck)."""
    return int(max(p.stat().st_mtime for p in TEMPLATES_DIR.rglob("*") if p.is_file()))
