"""Sphinx extension: a "teach with this chapter" line at the top of every chapter page, linking
its reveal.js slides, its student notebook (``python -m dlbook.lecture`` writes both into the
built site) and the teaching guide."""
from __future__ import annotations

import html
from pathlib import Path

from dlbook.lecture.book import chapters


def _chapter_pages(app) -> set:
    root = Path(app.srcdir)
    return {path.relative_to(root).with_suffix("").as_posix() for _, path in chapters(root)}


def add_links(app, pagename, templatename, context, doctree):
    if doctree is None or "body" not in context or pagename not in app.dlbook_chapters:
        return
    up = "../" * pagename.count("/")
    stem = html.escape(pagename.rsplit("/", 1)[-1])
    links = (f'<a href="{up}slides/{stem}.html">Slides</a> · '
             f'<a href="{up}student/{stem}.ipynb" download>Student notebook</a> (exercises '
             f'without solutions) · <a href="{up}book/teaching.html">Teaching guide</a>')
    context["body"] = (f'<p class="dlbook-lecture-links">Teach with this chapter: {links}</p>\n'
                       + context["body"])


def remember_chapters(app):
    app.dlbook_chapters = _chapter_pages(app)


def setup(app):
    app.connect("builder-inited", remember_chapters)
    app.connect("html-page-context", add_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
