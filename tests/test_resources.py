"""The one Jinja2 environment (cardgen.resources): every template it renders escapes its values."""

from __future__ import annotations

from cardgen.resources import TEMPLATES_DIR, jinja_environment


def test_one_environment_escapes_every_template():
    environment = jinja_environment()
    assert environment is jinja_environment()
    assert environment.autoescape is True
    names = environment.list_templates(filter_func=lambda name: name.endswith(".j2"))
    assert {"coverage.html.j2", "learners_report.html.j2", "fields/list.html.j2"} <= set(names)
    assert all((TEMPLATES_DIR / name).is_file() for name in names)
    html = environment.get_template("fields/list.html.j2").render(items=["<b>x</b> & y"])
    assert html == "<ul><li>&lt;b&gt;x&lt;/b&gt; &amp; y</li></ul>"
