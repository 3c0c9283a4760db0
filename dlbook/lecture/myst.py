"""MyST markdown lowered to the plain Markdown + TeX that Jupyter, Colab and reveal.js render.

The chapters are written in MyST (directives such as ``{prf:definition}``, roles such as
{eq}`label` and {cite}`key`), which only Sphinx understands. Slides (and any other export made
outside Sphinx) need the same text in CommonMark with ``$…$`` math: directives become block
quotes with a bold title, equation references become the numbers Sphinx gives them
("(3.2)"), citations become "Author (year)", and cross-references become the title of what they
point to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# ```{name} argument            or      :::{name} argument
# :option: value                         :option: value
# body                                   body
# ```                                    :::
_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z:-]+)\}[ \t]*(?P<arg>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.M | re.S)
_OPTION = re.compile(r"^:([a-z-]+):[ \t]*(.*)$")
_DISPLAY_MATH = re.compile(r"\$\$(?P<tex>.+?)\$\$(?:[ \t]*\((?P<label>[^)\s]+)\))?", re.S)
_ROLE = re.compile(r"\{(?P<role>[a-z:-]+)\}`(?P<text>[^`]*)`")
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)

TITLES = {"prf:definition": "Definition", "prf:theorem": "Theorem", "prf:lemma": "Lemma",
          "prf:proof": "Proof", "prf:algorithm": "Algorithm", "prf:corollary": "Corollary",
          "prf:example": "Example", "prf:remark": "Remark", "exercise": "Exercise",
          "solution": "Solution", "note": "Note", "warning": "Warning", "tip": "Tip",
          "important": "Important", "admonition": ""}
DROPPED = {"solution-start", "solution-end", "bibliography", "toctree", "tableofcontents",
           "glossary"}


@dataclass
class References:
    """What cross-references resolve to: equation numbers, box titles, citation labels."""

    equations: dict = field(default_factory=dict)   # label -> "3.2"
    titles: dict = field(default_factory=dict)      # label -> "Definition (M-P neuron)"
    citations: dict = field(default_factory=dict)   # key -> ("McCulloch and Pitts", "1943")
    doc_base: str = ""     # where the book's pages are, seen from the output ("../book/")
    page_url: str = ""     # this chapter's page, for links to its own sections

    @classmethod
    def scan(cls, markdown_cells, chapter: int | None, bib_path=None) -> "References":
        """Number the labelled display equations in order, as Sphinx does (``chapter.k``), and
        collect the titles of labelled directives; read author-year labels from ``bib_path``."""
        refs = cls()
        k = 0
        for text in markdown_cells:
            for m in _DISPLAY_MATH.finditer(text):
                if m.group("label"):
                    k += 1
                    refs.equations[m.group("label")] = f"{chapter}.{k}" if chapter else str(k)
            for m in _DIRECTIVE.finditer(text):
                options, _ = _split_options(m.group("body"))
                if "label" in options:
                    refs.titles[options["label"]] = _box_title(m.group("name"), m.group("arg"))
        if bib_path is not None:
            refs.citations = read_citations(bib_path)
        return refs


def read_citations(bib_path) -> dict:
    """``{key: (authors, year)}`` for every entry of a BibTeX file ("A", "A and B", "A et al.")."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(Path(bib_path))).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if not names:
            authors = entry.fields.get("organization", entry.fields.get("title", key))
        elif len(names) == 1:
            authors = names[0]
        elif len(names) == 2:
            authors = f"{names[0]} and {names[1]}"
        else:
            authors = f"{names[0]} et al."
        out[key] = (authors, entry.fields.get("year", "n.d."))
    return out


def _split_options(body: str) -> tuple[dict, str]:
    options, lines = {}, body.split("\n")
    i = 0
    while i < len(lines) and _OPTION.match(lines[i]):
        name, value = _OPTION.match(lines[i]).groups()
        options[name] = value.strip()
        i += 1
    return options, "\n".join(lines[i:]).strip("\n")


def _box_title(name: str, arg: str) -> str:
    kind = TITLES.get(name, name.split(":")[-1].capitalize())
    arg = arg.strip()
    if not kind:
        return arg
    return f"{kind} ({arg})" if arg else kind


def lower(text: str, refs: References) -> str:
    """``text`` (MyST) as plain Markdown: directives as quoted boxes, roles resolved.

    Math and roles are lowered first, over the whole text, so that a directive's body is quoted
    only once it is final (a second pass would see the quote marks inside the math).
    """
    text = _DISPLAY_MATH.sub(lambda m: _lower_math(m, refs), text)
    text = _ROLE.sub(lambda m: _lower_role(m, refs), text)
    text = _LINK.sub(lambda m: _lower_link(m, refs), text)
    return _lower_directives(text)


def _lower_link(m, refs: References) -> str:
    """A link to another page of the book (``notation.md``, ``03_backprop.ipynb``) or to a
    section of this one (``#anchor``) points at the built website's page instead; section
    anchors are dropped, since MyST's slugs are not the website's ids."""
    text, target = m.group("text"), m.group("target")
    if _SCHEME.match(target) or target.startswith("/"):
        return m.group(0)
    if target.startswith("#"):
        return f"[{text}]({refs.page_url})" if refs.page_url else text
    path = target.split("#", 1)[0]
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix in ("md", "ipynb"):
        return f"[{text}]({refs.doc_base}{stem}.html)"
    return m.group(0)


def _lower_directives(text: str) -> str:
    return _DIRECTIVE.sub(_lower_directive, text)


def _lower_directive(m) -> str:
    name = m.group("name")
    if name in DROPPED:
        return ""
    options, body = _split_options(m.group("body"))
    title = _box_title(name, m.group("arg"))
    body = _lower_directives(body)
    quoted = "\n".join("> " + line if line.strip() else ">" for line in body.split("\n"))
    return f"> **{title}**\n>\n{quoted}" if title else quoted


def _lower_math(m, refs: References) -> str:
    tex = m.group("tex").strip("\n")
    label = m.group("label")
    if label and label in refs.equations:
        tex = f"{tex}\n\\tag{{{refs.equations[label]}}}"
    return f"$$\n{tex.strip()}\n$$"


def _lower_role(m, refs: References) -> str:
    role, text = m.group("role"), m.group("text")
    shown, _, target = text.partition("<")
    target = target.rstrip(">").strip() or shown.strip()
    shown = shown.strip()
    if role == "eq":
        return f"({refs.equations.get(target, target)})"
    if role.startswith("cite"):
        parts = []
        for key in (k.strip() for k in target.split(",")):
            authors, year = refs.citations.get(key, (key, ""))
            parts.append(f"{authors} ({year})" if role == "cite:t" else f"{authors}, {year}")
        return "; ".join(parts) if role == "cite:t" else "(" + "; ".join(parts) + ")"
    if role == "math":
        return f"${text}$"
    if role in ("prf:ref", "ref", "numref", "doc", "term", "download"):
        if "<" in text:
            return shown
        return refs.titles.get(target, target.replace("-", " "))
    return shown or target
