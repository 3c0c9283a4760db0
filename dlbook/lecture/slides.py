"""A reveal.js deck from a chapter notebook: the same cells, curated for the lecture hall.

Which cells appear, and how they split into slides, is decided per cell:

* A cell with Jupyter's standard slideshow metadata (``metadata.slideshow.slide_type``: ``slide``,
  ``subslide``, ``fragment``, ``-``, ``notes`` or ``skip``, as set by "View > Slideshow" in
  Jupyter) is taken exactly as its author marked it. This is how a chapter curates its deck.
* Every other cell gets the default below, which is meant to give a usable deck for any chapter:
  a ``##`` heading starts a slide; definitions, theorems, algorithms, exercises, display
  equations, lists and tables stay on it (a new sub-slide when it fills up); running prose
  becomes speaker notes (press ``S`` in the deck); proofs go to the notes too; figures and
  sliders get a sub-slide each (folded plotting code is not shown); a short code cell (at most
  ``MAX_CODE_LINES`` lines) is shown with its output; and every checked claim (a ``✓`` line)
  is shown, even when the code that checked it is too long for a slide.
* Solutions (from ``{solution-start}`` to ``{solution-end}``) and the setup cell never appear.

The markdown is lowered from MyST to plain Markdown first (:mod:`dlbook.lecture.myst`), so
equation numbers, citations and cross-references read as on the website.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from dlbook.claims import MARK
from dlbook.colab import is_setup_cell
from dlbook.lecture.myst import References, lower
from dlbook.lecture.parts import source as _source, tags as _tags, without_solutions

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_CODE_LINES = 12        # a code cell longer than this is not shown (its claims still are)
MAX_OUTPUT_LINES = 10      # printed output is cut to this many lines (claims are always kept)
SLIDE_CAPACITY = 16        # rough lines of content before a new sub-slide starts
HIDDEN_INPUT_TAGS = {"hide-input", "remove-input"}
_LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d+\.)\s")


def author_slide_type(cell):
    """The slide type the author set in the cell's slideshow metadata, or None."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def blocks(markdown: str) -> list:
    """Split lowered markdown into blocks at blank lines, keeping ``$$`` math whole."""
    out, current, in_math = [], [], False
    for line in markdown.split("\n"):
        if line.strip() == "$$":  # lowered display math has its $$ on lines of their own
            in_math = not in_math
        if not line.strip() and not in_math:
            if current:
                out.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        out.append("\n".join(current))
    return out


def classify(block: str) -> str:
    """``heading``, ``math``, ``box``, ``proof``, ``list``, ``table`` or ``prose``."""
    first = block.lstrip().split("\n", 1)[0]
    if first.startswith("#"):
        return "heading"
    if first.startswith("$$"):
        return "math"
    if first.startswith("> **Proof"):
        return "proof"
    if first.startswith(">"):
        return "box"
    if first.startswith("|"):
        return "table"
    if all(_LIST_LINE.match(line) or line.startswith("  ") for line in block.split("\n")):
        return "list"
    return "prose"


VISIBLE = {"heading", "math", "box", "list", "table"}


class _Deck:
    """Accumulates slide cells and keeps track of how full the current slide is."""

    def __init__(self):
        self.cells = []
        self.fill = SLIDE_CAPACITY  # the first content opens a slide

    def add(self, cell, slide_type: str, weight: int) -> None:
        opened = self.fill <= 2  # a slide with only its title takes the next block whatever
        if slide_type in ("-", "fragment") and not opened and self.fill + weight > SLIDE_CAPACITY:
            slide_type = "subslide"
        if slide_type in ("slide", "subslide"):
            self.fill = 0
        if slide_type not in ("notes", "skip"):
            self.fill += weight
        cell.metadata["slideshow"] = {"slide_type": slide_type}
        cell["id"] = f"deck-{len(self.cells)}"  # unique, and the same on every build
        self.cells.append(cell)


def _markdown_default(deck: _Deck, text: str) -> None:
    visible, notes = [], []
    for block in blocks(text):
        kind = classify(block)
        if kind == "heading" and block.lstrip().startswith(("# ", "## ")):
            _flush(deck, visible, notes)
            visible, notes = [block], []
            deck.add(nbformat.v4.new_markdown_cell(block), "slide", 2)
            visible = []
        elif kind in VISIBLE:
            visible.append(block)
        else:
            notes.append(block)
    _flush(deck, visible, notes)


def _flush(deck: _Deck, visible: list, notes: list) -> None:
    if visible:
        text = "\n\n".join(visible)
        deck.add(nbformat.v4.new_markdown_cell(text), "-", text.count("\n") + 1)
        visible.clear()
    if notes:
        deck.add(nbformat.v4.new_markdown_cell("\n\n".join(notes)), "notes", 0)
        notes.clear()


def _trim_text(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    claims = [line for line in lines if line.startswith(MARK)]
    others = [line for line in lines if not line.startswith(MARK)]
    kept = others[:MAX_OUTPUT_LINES] + (["…"] if len(others) > MAX_OUTPUT_LINES else [])
    return "\n".join(kept + claims) + "\n"


def _claims_only(outputs) -> list:
    lines = []
    for out in outputs:
        if out.get("output_type") == "stream":
            lines += [line for line in out.get("text", "").split("\n") if line.startswith(MARK)]
    if not lines:
        return []
    return [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]


def _is_visual(out) -> bool:
    data = out.get("data", {})
    return "image/png" in data or "image/svg+xml" in data or "text/html" in data


def _code_default(deck: _Deck, cell) -> None:
    """Adds ``cell`` (a copy the deck owns, from without_solutions) as the defaults say."""
    outputs = cell.get("outputs", [])
    visuals = [o for o in outputs if _is_visual(o)]
    n_lines = len(_source(cell).rstrip("\n").split("\n"))
    cell.metadata.pop("slideshow", None)
    hidden_input = bool(_tags(cell) & HIDDEN_INPUT_TAGS) or n_lines > MAX_CODE_LINES
    if hidden_input:
        cell.metadata.setdefault("tags", [])
        if "remove-input" not in cell.metadata["tags"]:
            cell.metadata["tags"].append("remove-input")
        claims = _claims_only(outputs)
        if visuals:
            cell.outputs = visuals + claims
            deck.add(cell, "subslide", SLIDE_CAPACITY)
        elif claims:
            cell.outputs = claims
            deck.add(cell, "fragment", len(claims[0]["text"].split("\n")))
        return
    for out in outputs:
        if out.get("output_type") == "stream":
            out["text"] = _trim_text(out.get("text", ""))
        elif "text/plain" in out.get("data", {}) and not _is_visual(out):
            out["data"]["text/plain"] = _trim_text(out["data"]["text/plain"])
    deck.add(cell, "subslide" if visuals else "-",
             SLIDE_CAPACITY if visuals else n_lines + min(MAX_OUTPUT_LINES, 4))


def slides_notebook(nb, chapter: int | None = None, bib_path=None, page_url: str = "",
                    doc_base: str = ""):
    """A copy of ``nb`` whose cells carry slideshow metadata and plain Markdown (see the module
    docstring); the argument is not changed. ``page_url`` and ``doc_base`` say where the
    chapter's page and the book's pages are seen from the deck, for its links."""
    markdown = [_source(c) for c in nb.cells if c.get("cell_type") == "markdown"]
    refs = References.scan(markdown, chapter, bib_path)
    refs.page_url, refs.doc_base = page_url, doc_base
    deck = _Deck()
    for cell, _ in without_solutions(nb):
        if is_setup_cell(cell):
            continue
        chosen = author_slide_type(cell)
        if cell.get("cell_type") == "markdown":
            text = lower(_source(cell), refs)
            if chosen is not None:
                deck.add(nbformat.v4.new_markdown_cell(text), chosen, text.count("\n") + 1)
            else:
                _markdown_default(deck, text)
        elif cell.get("cell_type") == "code":
            if chosen is not None:
                deck.add(cell, chosen, SLIDE_CAPACITY)
            else:
                _code_default(deck, cell)
    out = nbformat.v4.new_notebook(cells=deck.cells, metadata=copy.deepcopy(nb.metadata))
    return out


def export_slides(nb, title: str, static_url: str) -> str:
    """The deck as one HTML page. ``static_url`` is where the site's ``_static`` folder is, seen
    from the page (``"../_static"`` for ``_build/html/slides/``): reveal.js and MathJax load
    from there, so the deck works offline."""
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = SlidesExporter(template_name="dlbook_reveal",
                              extra_template_basedirs=[str(TEMPLATES)],
                              reveal_url_prefix=f"{static_url}/reveal", reveal_theme="white",
                              exclude_input_prompt=True, exclude_output_prompt=True,
                              exclude_anchor_links=True)  # headings' ids are slugs of TeX
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_input_tags=HIDDEN_INPUT_TAGS,
                              remove_cell_tags={"remove-cell"}), enabled=True)
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": title}, "dlbook_static": static_url})
    return body
