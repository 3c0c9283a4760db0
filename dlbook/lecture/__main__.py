"""``python -m dlbook.lecture [--site _build/html]``: slides and student notebooks for every
chapter of the book, written into the built website (see :mod:`dlbook.lecture`)."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import nbformat

from dlbook.lecture.book import ROOT, chapters, title_of
from dlbook.lecture.slides import export_slides, slides_notebook
from dlbook.lecture.student import student_notebook

def build(site: Path, root: Path = ROOT) -> list:
    """Write the decks and student notebooks under ``site``; return the files written."""
    if not (site / "_static" / "reveal").is_dir():
        raise FileNotFoundError(f"site: {site} has no _static/reveal: build the website first "
                                "(jupyter-book build .), then run python -m dlbook.lecture")
    written = []
    (site / "slides").mkdir(parents=True, exist_ok=True)
    (site / "student").mkdir(parents=True, exist_ok=True)
    bib = root / "book" / "references.bib"
    for number, path in chapters(root):
        nb = nbformat.read(path, as_version=4)
        title = f"{number}. {title_of(nb)}"
        deck = site / "slides" / f"{path.stem}.html"
        page = path.relative_to(root).with_suffix(".html").as_posix()
        slides = slides_notebook(nb, number, bib, page_url=f"../{page}",
                                 doc_base=f"../{path.parent.relative_to(root).as_posix()}/")
        deck.write_text(export_slides(slides, title, "../_static"), encoding="utf8")
        student = site / "student" / f"{path.stem}.ipynb"
        nbformat.write(student_notebook(nb), student)
        written += [deck, student]
    # The sanitize rules travel with the notebooks: `pytest --nbval --nbval-sanitize-with
    # nbval_sanitize.cfg` then passes in a course repository as it does here.
    shutil.copy2(root / "book" / "nbval_sanitize.cfg", site / "student" / "nbval_sanitize.cfg")
    written.append(site / "student" / "nbval_sanitize.cfg")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlbook.lecture",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html",
                        help="the built website (default: _build/html)")
    args = parser.parse_args(argv)
    try:
        written = build(args.site)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path.relative_to(args.site))
    return 0


if __name__ == "__main__":
    sys.exit(main())
