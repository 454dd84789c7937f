"""The report environment: filters that make user strings safe in Markdown tables."""
import math

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from specc.templates.render import code, environment, md, num, pct


@pytest.mark.parametrize("value, shown", [
    ("a | b", r"a \| b"),
    ("  two\nlines\r\nthree  ", "two lines three"),
    ("keeps `code` and *stars*", "keeps `code` and *stars*"),
    (None, "—"),
    (3, "3"),
    ("", ""),
])
def test_md(value, shown):
    assert md(value) == shown


def test_md_in_a_table_keeps_the_columns():
    row = environment().from_string("| {{ a | md }} | {{ b | md }} |").render(a="x|y\nz", b=None)
    assert row == r"| x\|y z | — |"
    assert row.replace(r"\|", "").count("|") == 3


def test_code_spans():
    assert code("mean(a.b) where c == 1") == "`mean(a.b) where c == 1`"
    assert code("a | b") == r"`a \| b`"
    assert code("uses `x` inside") == "``uses `x` inside``"
    assert code("`edge`") == "`` `edge` ``"
    assert code(None) == "—"


@pytest.mark.parametrize("value, shown", [
    (0.5123, "0.512"), (12345.6, "12,346"), (0.5, "0.5"), (1.0, "1"), (12.345, "12.3"),
    (-0.04567, "-0.0457"), (0.000135, "0.000135"), (1.018e-05, "1.02e-05"), (0.0, "0"),
    (1234, "1,234"), (None, "—"), (math.nan, "—"), (math.inf, "∞"), (True, "True"),
])
def test_num(value, shown):
    assert num(value) == shown


@pytest.mark.parametrize("value, shown", [(0.95, "95%"), (0.975, "97.5%"), (0.4, "40%"), (None, "—")])
def test_pct(value, shown):
    assert pct(value) == shown


def test_strict_undefined_and_sandbox():
    env = environment()
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()
    with pytest.raises(SecurityError):
        env.from_string("{{ x.__class__.__mro__ }}").render(x=1)


def test_whitespace_control():
    text = environment().from_string("{% for x in xs %}\n- {{ x }}\n{% endfor %}\n").render(xs=[1, 2])
    assert text == "- 1\n- 2\n"


def test_md_neutralises_images_and_links():
    """A title must not make a reader's browser load a remote image, or hide a link."""
    from markdown_it import MarkdownIt
    hostile = "![pixel](https://e.vil/p.png?u=1) see [docs](http://e.vil) <img src=x> www.e.vil/x"
    shown = md(hostile)
    tokens = [t for block in MarkdownIt("commonmark").parse(f"| a |\n|---|\n| {shown} |\n") for t in
              [block, *(block.children or [])]]
    assert not [t for t in tokens if t.type in ("image", "link_open", "html_inline")]
    assert "https\\://e.vil" in shown and "www\\.e.vil" in shown
    rendered = MarkdownIt("commonmark").render(shown)
    assert "![pixel](https://e.vil/p.png?u=1) see [docs](http://e.vil)" in rendered  # reads the same
