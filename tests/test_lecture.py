"""The lecture kit: MyST lowered for slides, solutions cut out, decks that work offline, student
notebooks that pass plain nbval outside this repository."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlbook.colab import SETUP_CELL
from dlbook.lecture.__main__ import build
from dlbook.lecture.book import chapters
from dlbook.lecture.myst import References, lower
from dlbook.lecture.parts import without_solutions
from dlbook.lecture.slides import SLIDE_CAPACITY, export_slides, slides_notebook

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "book" / "references.bib"


def md(text, **meta):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata.update(meta)
    return cell


def code(text, *outputs, tags=()):
    cell = nbformat.v4.new_code_cell(text)
    cell.outputs = list(outputs)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def stdout(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


# ------------------------------------------------------------------------------ MyST lowering
def test_directives_become_titled_quotes_and_equations_get_their_sphinx_numbers():
    text = ("```{prf:definition} Neuron\n:label: def-n\n\nA unit with\n\n$$\ny = f(z)\n$$ (eq-y)\n```"
            "\n\nBy {eq}`eq-y` and {prf:ref}`def-n`, see {cite:t}`rosenblatt1958perceptron` "
            "and {cite}`mcculloch1943logical`.")
    refs = References.scan([text], chapter=3, bib_path=BIB)
    assert refs.equations == {"eq-y": "3.1"} and refs.titles == {"def-n": "Definition (Neuron)"}
    out = lower(text, refs)
    assert out.startswith("> **Definition (Neuron)**\n>\n> A unit with\n>\n> $$\n> y = f(z)\n"
                          "> \\tag{3.1}\n> $$")
    assert ":label:" not in out
    assert out.endswith("By (3.1) and Definition (Neuron), see Rosenblatt (1958) and "
                        "(McCulloch and Pitts, 1943).")


def test_links_to_other_pages_point_at_the_website():
    refs = References(doc_base="../book/", page_url="../book/03_backprop.html")
    text = ("See [the notation](notation.md), [chapter 3](03_backprop.ipynb#top), "
            "[above](#the-delta-notation), [nbval](https://nbval.readthedocs.io) and ![x](a.png).")
    assert lower(text, refs) == (
        "See [the notation](../book/notation.html), [chapter 3](../book/03_backprop.html), "
        "[above](../book/03_backprop.html), [nbval](https://nbval.readthedocs.io) and ![x](a.png).")


def test_solutions_are_cut_fence_by_fence_even_in_the_middle_of_a_cell():
    nb = nbformat.v4.new_notebook(cells=[
        md("## Exercises\n\n```{exercise} One\n:label: ex-1\n\nDo it.\n```\n\n"
           "```{solution-start} ex-1\n:class: dropdown\n```\n\nSecret one."),
        code("secret = 1", stdout("1\n")),
        md("More secret.\n\n```{solution-end}\n```\n\n```{exercise} Two\n:label: ex-2\n\nAgain.\n```"),
        code("starter = 2", stdout("2\n")),
        md("```{solution-start} ex-2\n:class: dropdown\n```\nSecret two.\n```{solution-end}\n```"),
        md("## After\n\n```{solution}\nInline secret.\n```\n\nKept."),
    ])
    kept = without_solutions(nb)
    texts = [c.source for c, _ in kept]
    assert not any("ecret" in t for t in texts)
    assert texts[0].startswith("## Exercises") and "{exercise} Two" in texts[1]
    assert [(c.cell_type, starter) for c, starter in kept] == [
        ("markdown", False), ("markdown", False), ("code", True), ("markdown", False)]
    assert texts[-1] == "## After\n\n\n\nKept."
    with pytest.raises(ValueError, match="no \\{solution-end\\}"):
        without_solutions(nbformat.v4.new_notebook(cells=[md("```{solution-start} x\n```")]))


# --------------------------------------------------------------------------------- the decks
def test_default_deck_keeps_formulas_and_claims_and_moves_prose_to_notes():
    long_code = "\n".join(f"x{i} = {i}" for i in range(20))
    nb = nbformat.v4.new_notebook(cells=[
        code(SETUP_CELL, stdout("dlbook ...\n")),
        md("## Gradient descent\n\nSome running prose that explains.\n\n$$\nw \\leftarrow w - "
           "\\eta g\n$$\n\n- one\n- two"),
        code("print(1 + 1)", stdout("2\n")),
        code(long_code, stdout("noise\n✓ the loss fell (0.1 < 1)\n")),
        md("Hand-picked.", slideshow={"slide_type": "skip"}),
    ])
    deck = slides_notebook(nb, chapter=5)
    kinds = [(c.cell_type, c.metadata["slideshow"]["slide_type"]) for c in deck.cells]
    assert kinds == [("markdown", "slide"), ("markdown", "-"), ("markdown", "notes"),
                     ("code", "-"), ("code", "fragment"), ("markdown", "skip")]
    assert "$$" in deck.cells[1].source and "- one" in deck.cells[1].source
    assert deck.cells[2].source == "Some running prose that explains."
    assert deck.cells[4].outputs[0]["text"] == "✓ the loss fell (0.1 < 1)\n"  # claim, no noise
    assert "remove-input" in deck.cells[4].metadata["tags"]
    assert not any(SETUP_CELL in c.source for c in deck.cells)


def test_a_full_slide_continues_on_a_sub_slide():
    lines = "\n".join(f"- item {i}" for i in range(SLIDE_CAPACITY))
    nb = nbformat.v4.new_notebook(cells=[md("## Title\n\n" + lines), md(lines)])
    deck = slides_notebook(nb)
    assert [c.metadata["slideshow"]["slide_type"] for c in deck.cells] == ["slide", "-", "subslide"]


def test_exported_deck_loads_everything_from_the_site_itself():
    nb = nbformat.v4.new_notebook(cells=[md("## A\n\n$$\nx^2\n$$"), code("1", stdout("1\n"))])
    html = export_slides(slides_notebook(nb), "A deck", "../_static")
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
    assert external == []
    for needed in ("../_static/reveal/dist/reveal.js", "../_static/reveal/dist/reveal.css",
                   "../_static/reveal/plugin/notes/notes.js", "../_static/mathjax/tex-chtml.js"):
        assert needed in html
        assert (ROOT / "book" / needed.replace("../", "", 1)).is_file(), needed
    assert "<title>A deck slides</title>" in html and "require(" not in html


# -------------------------------------------------------------- the kit for the whole book
@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "book" / "_static" / "reveal", site / "_static" / "reveal")
    build(site)
    return site


def test_every_chapter_gets_a_deck_and_a_student_notebook(kit):
    for number, path in chapters(ROOT):
        deck = (kit / "slides" / f"{path.stem}.html").read_text(encoding="utf8")
        assert deck.count("<section") >= 10, path.name
        assert "{solution-start}" not in deck and "{eq}" not in deck and "{cite" not in deck
        student = nbformat.read(kit / "student" / f"{path.stem}.ipynb", as_version=4)
        original = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in student.cells)
        assert "{solution-start}" not in text and "{solution-end}" not in text
        count = lambda t: len(re.findall(r"\{exercise\}", t))  # noqa: E731
        assert count(text) == count("\n".join(c.source for c in original.cells)) > 0
        assert next(c for c in student.cells if c.cell_type == "code").source == SETUP_CELL
        nbformat.validate(student)
    assert (kit / "student" / "nbval_sanitize.cfg").is_file()


def test_build_needs_the_website_first(tmp_path):
    with pytest.raises(FileNotFoundError, match="build the website first"):
        build(tmp_path)


def test_a_student_notebook_passes_plain_nbval_outside_this_repository(kit, tmp_path):
    """What a lecturer does in a course repository: no conftest.py, no pyproject options, no
    DLBOOK_WIDGETS; only the notebook and the sanitize file shipped beside it."""
    course = tmp_path / "course"
    course.mkdir()
    first = chapters(ROOT)[0][1].stem
    shutil.copy2(kit / "student" / f"{first}.ipynb", course)
    shutil.copy2(kit / "student" / "nbval_sanitize.cfg", course)
    (course / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DLBOOK_WIDGETS", "PYTEST"))}
    env["DLBOOK_DATA"] = os.environ.get("DLBOOK_DATA", str(ROOT.parent / "shared" / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", "nbval_sanitize.cfg", f"{first}.ipynb"],
        cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
