"""The website as its readers meet it: what the theme and the directives get wrong, set right at build time.

Registered in ``_config.yml`` (``sphinx: local_extensions``). It

* adds ``book/_static/dlbook.css`` (wider article column on wide screens, CJK font fallback, display
  equations that scroll on a phone) and ``book/_static/dlbook.js`` (sidebar toggles, solution titles,
  MathJax typesetting after the page's own scripts);
* gives every element id in a page one use only (sphinx-proof and sphinx-exercise write the ids
  ``proof``, ``proof-content``, ``exercise-content`` and ``solution-content`` once per directive);
* turns the glossary's "defined in" column (``3 Backpropagation``) into links to that chapter, at the
  section where the row's Chinese term first appears, so rows added as plain text become links too;
* labels the references page author-year (``[Rumelhart et al., 1986]``), as the in-text citations are;
* leaves out of the built site what no reader needs: source maps, and the 1.5 MB Font Awesome
  JavaScript whose icons the theme's CSS web fonts already draw (see templates/static/).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from docutils import nodes

HERE = Path(__file__).resolve().parent
GLOSSARY_DOC = "book/glossary"
DEFINED_IN_HEADERS = ("defined in", "所在章节")  # the English and the Chinese edition
DEFINED_IN = re.compile(r"^\s*(\d+)\s+\S")


# ------------------------------------------------------------------------------------------ ids
def unique_ids(doctree) -> None:
    """Rename the second and later uses of an id in one page (``solution-content`` -> ``solution-content-2``)."""
    seen = Counter()
    taken = {i for node in doctree.findall(nodes.Element) for i in node.get("ids", [])}
    for node in doctree.findall(nodes.Element):
        ids = node.get("ids")
        if not ids:
            continue
        renamed = []
        for ident in ids:
            seen[ident] += 1
            if seen[ident] > 1:
                n = seen[ident]
                while f"{ident}-{n}" in taken:
                    n += 1
                ident = f"{ident}-{n}"
                taken.add(ident)
            renamed.append(ident)
        node["ids"] = renamed


# ------------------------------------------------------------------------------------- glossary
def chapter_docs(env) -> dict:
    """Chapter number -> docname, from the numbering the table of contents gives."""
    chapters = {}
    for docname, numbers in env.toc_secnumbers.items():
        top = numbers.get("")
        if top and len(top) == 1:
            chapters[top[0]] = docname
    return chapters


def first_use(app, docname, term) -> str:
    """The id of the section of ``docname`` whose text first contains ``term`` ("" if none does)."""
    cache = app.__dict__.setdefault("_dlbook_chapter_texts", {})  # one build, one cache
    if docname not in cache:
        doctree = app.env.get_doctree(docname)
        cache[docname] = [(node.astext(), node) for node in doctree.findall(nodes.Text)]
    for text, node in cache[docname]:
        if term and term in text:
            section = node.parent
            while section is not None and not (isinstance(section, nodes.section) and section.get("ids")):
                section = section.parent
            return section["ids"][0] if section is not None else ""
    return ""


def link_glossary(app, doctree, docname) -> None:
    """Make each "defined in" cell (``N Title``) of the glossary table a link to chapter N, at the
    section where the row's Chinese term first appears in it."""
    chapters = chapter_docs(app.env)
    for table in doctree.findall(nodes.table):
        head = [e.astext().strip().lower() for e in next(table.findall(nodes.thead), nodes.thead()).findall(nodes.entry)]
        column = next((head.index(h) for h in DEFINED_IN_HEADERS if h in head), None)
        if column is None:
            continue
        for row in next(table.findall(nodes.tbody)).findall(nodes.row):
            entry = row.children[column]
            match = DEFINED_IN.match(entry.astext())
            if not match or int(match.group(1)) not in chapters:
                continue
            target = chapters[int(match.group(1))]
            uri = app.builder.get_relative_uri(docname, target)
            chinese = row.children[1].astext().split("(")[0].strip() if column > 1 else ""
            anchor = first_use(app, target, chinese)
            link = nodes.reference("", entry.astext().strip(), internal=True,
                                   refuri=f"{uri}#{anchor}" if anchor else uri)
            entry.children = []
            entry += nodes.paragraph("", "", link)


def on_doctree_resolved(app, doctree, docname) -> None:
    unique_ids(doctree)
    if docname == GLOSSARY_DOC and app.builder.format == "html":
        link_glossary(app, doctree, docname)


# ------------------------------------------------------------------------------------ citations
def register_author_year_labels() -> None:
    """A pybtex style ``dlbook_author_year``: the plain style, labelled as the text cites."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.labels import BaseLabelStyle

    def surname(person) -> str:
        return " ".join(part.render_as("text") for part in person.rich_prelast_names + person.rich_last_names)

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = []
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                if not people:
                    who = entry.fields.get("organization") or entry.fields.get("title", "?").split(":")[0]
                elif len(people) == 1:
                    who = surname(people[0])
                elif len(people) == 2:
                    who = f"{surname(people[0])} and {surname(people[1])}"
                else:
                    who = f"{surname(people[0])} et al."
                labels.append(f"{who}, {entry.fields.get('year', 'n.d.')}")
            repeats = Counter(labels)
            suffix = Counter()
            for label in labels:  # two works of one author and year: 2015a, 2015b
                if repeats[label] > 1:
                    suffix[label] += 1
                    label += "abcdefghijklmnopqrstuvwxyz"[suffix[label] - 1]
                yield label

    class AuthorYearStyle(PlainStyle):
        default_label_style = "dlbook_author_year"

    register_plugin("pybtex.style.labels", "dlbook_author_year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "dlbook_author_year", AuthorYearStyle)


# ---------------------------------------------------------------------------------- the output
def drop_what_no_reader_needs(app, exception) -> None:
    """Delete source maps (and the comments that point at them) and fontawesome.js from the built site."""
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    for path in static.rglob("*.map"):
        path.unlink()
    for path in static.glob("scripts/fontawesome.js*"):  # no page loads it (templates/static/)
        path.unlink()
    for path in list(static.rglob("*.js")) + list(static.rglob("*.css")):
        text = path.read_text(encoding="utf8", errors="surrogateescape")
        if "sourceMappingURL=" in text:
            text = re.sub(r"\n?(//# sourceMappingURL=\S+|/\*# sourceMappingURL=[^*\s]+\s*\*/)\s*$", "\n", text)
            path.write_text(text, encoding="utf8", errors="surrogateescape")


def on_config_inited(app, config) -> None:
    # templates/static/webpack-macros.html replaces the theme's, less its fontawesome.js.
    config.templates_path = list(config.templates_path) + [str(HERE / "templates")]


def setup(app):
    register_author_year_labels()
    app.connect("config-inited", on_config_inited)
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("build-finished", drop_what_no_reader_needs)
    app.add_css_file("dlbook.css", priority=900)
    # After the inline `window.MathJax = {...}` (priority 500) that dlbook.js completes, and, not
    # being deferred, before the deferred tex-chtml.js runs.
    app.add_js_file("dlbook.js", priority=550)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
