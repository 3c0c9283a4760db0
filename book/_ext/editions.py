"""Sphinx extension: the English and the Chinese edition (中文版) link each other.

Both editions are built from the same pages (the Chinese one by ``python -m dlbook.i18n build``,
which sets ``dlbook_edition = "zh_CN"``): the English site in ``_build/html``, the Chinese one
in ``_build/html/zh`` with the same page paths. Every page gets a link to the same page in the
other edition. ``dlbook_ui`` holds the Chinese of the strings the book's own extensions show
(from ``locale/zh_CN/LC_MESSAGES/site.po``); :func:`ui` looks them up.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

EDITION_DIR = "zh"


def ui(app, text: str) -> str:
    """``text`` in the language of the edition being built."""
    return app.config.dlbook_ui.get(text, text)


def is_translation(app) -> bool:
    return app.config.dlbook_edition != "en"


def site_root(app, pagename: str) -> str:
    """The relative URL from ``pagename`` to the English site's root (where the kit lives)."""
    up = "../" * pagename.count("/")
    return up + ("../" if is_translation(app) else "")


def add_switch(app, pagename, templatename, context, doctree):
    if doctree is None or "body" not in context:
        return
    page = html.escape(pagename) + ".html"
    if is_translation(app):
        href, lang, text = site_root(app, pagename) + page, "en", ui(app, "Read this page in English")
    else:
        href, lang, text = site_root(app, pagename) + f"{EDITION_DIR}/{page}", "zh-CN", "中文版"
    context["body"] = (f'<p class="dlbook-edition-switch"><a href="{href}" hreflang="{lang}" '
                       f'lang="{lang}">{html.escape(text)}</a></p>\n' + context["body"])


KIT_FOLDERS = ("slides", "student")  # the lecture kit, built into the English site only


def theme_translator(table: dict):
    """A function putting the Chinese into what the themes leave in English on a zh_CN page
    (``table``: text shown -> translation): attribute values and text between tags only."""
    patterns = [(re.compile(r'(")' + re.escape(shown) + r'(")|(>\s*)' + re.escape(shown)
                            + r'(?=[\s<.])'), chinese) for shown, chinese in table.items()]

    def translate(text: str) -> str:
        for pattern, chinese in patterns:
            text = pattern.sub(lambda m: (m.group(1) or m.group(3)) + chinese
                               + (m.group(2) or ""), text)
        return text
    return translate


_KIT_LINK = re.compile(r'((?:href|src)=")((?:\.\./)*)((?:%s)/[^"]*")' % "|".join(KIT_FOLDERS))


def point_kit_links_at_english_site(text: str, path: Path, outdir: Path) -> str:
    """A link into the lecture kit (the teaching guide's table links every deck) goes up one
    more level, out of the Chinese site to the English one, where the kit is."""
    def fix(m):
        target = (path.parent / (m.group(2) + m.group(3).split("/")[0])).resolve()
        inside = target.parent == outdir and target.name in KIT_FOLDERS
        return m.group(1) + ("../" if inside else "") + m.group(2) + m.group(3)
    return _KIT_LINK.sub(fix, text)


def rewrite_translated_pages(app, exception) -> None:
    """In a translated edition, read every page once: theme strings translated, kit links
    pointed at the English site."""
    if exception is not None or not is_translation(app) or app.builder.format != "html":
        return
    outdir = Path(app.outdir).resolve()
    translate = theme_translator(app.config.dlbook_theme_ui)
    for path in outdir.rglob("*.html"):
        text = path.read_text(encoding="utf8")
        rewritten = point_kit_links_at_english_site(translate(text), path, outdir)
        if rewritten != text:
            path.write_text(rewritten, encoding="utf8")


def setup(app):
    app.add_config_value("dlbook_edition", "en", "html")
    app.add_config_value("dlbook_ui", {}, "html")
    app.add_config_value("dlbook_theme_ui", {}, "html")
    app.connect("build-finished", rewrite_translated_pages)
    # After lecture_links (priority 500), so the switch comes first on the page.
    app.connect("html-page-context", add_switch, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
