"""Sphinx extension: a "teach with this chapter" line at the top of every chapter page, linking
its reveal.js slides, its student notebook (``python -m dlbook.lecture`` writes both into the
built English site; the Chinese edition links to them there, marked as English) and the
teaching guide."""
from __future__ import annotations

import html
from pathlib import Path

from dlbook.lecture.book import chapters
from editions import is_translation, site_root, ui


def _chapter_pages(app) -> set:
    root = Path(app.srcdir)
    return {path.relative_to(root).with_suffix("").as_posix() for _, path in chapters(root)}


def add_links(app, pagename, templatename, context, doctree):
    if doctree is None or "body" not in context or pagename not in app.dlbook_chapters:
        return
    up, kit = "../" * pagename.count("/"), site_root(app, pagename)
    stem = html.escape(pagename.rsplit("/", 1)[-1])
    t = lambda text: html.escape(ui(app, text))

    def aside(text):  # "(English)" after a space; "（英文版）" needs none
        return ("" if t(text).startswith("（") else " ") + t(text)

    english = aside("(English)") if is_translation(app) else ""
    links = (f'<a href="{kit}slides/{stem}.html">{t("Slides")}</a>{english} · '
             f'<a href="{kit}student/{stem}.ipynb" download>{t("Student notebook")}</a>'
             f'{english}{aside("(exercises without solutions)")} · '
             f'<a href="{up}book/teaching.html">{t("Teaching guide")}</a>')
    context["body"] = (f'<p class="dlbook-lecture-links">{t("Teach with this chapter:")} '
                       f'{links}</p>\n' + context["body"])


def remember_chapters(app):
    app.dlbook_chapters = _chapter_pages(app)


def setup(app):
    app.connect("builder-inited", remember_chapters)
    app.connect("html-page-context", add_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
