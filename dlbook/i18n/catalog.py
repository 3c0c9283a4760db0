"""The translation catalogues: one gettext ``.po`` file per page under
``locale/<lang>/LC_MESSAGES/``, kept in step with the English pages.

The English notebooks are the source. :func:`update` extracts every message of every page (see
:mod:`dlbook.i18n.segments`) and merges it into the page's catalogue with Babel: a new
paragraph arrives untranslated, an edited one keeps its old translation marked *fuzzy* (for the
translator to revise), a deleted one leaves. :func:`problems` lists what is not translated yet,
so a test fails as soon as the English and a catalogue disagree.
"""
from __future__ import annotations

import datetime as _dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import nbformat
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from dlbook.i18n import segments
from dlbook.lecture.book import table_of_contents, toc_entries

ROOT = Path(__file__).resolve().parents[2]
LANG = "zh_CN"
SITE_DOMAIN = "site"  # the catalogue of what is not a page: part captions, title, UI strings
# Strings the book's own Sphinx extensions and the edition switch show on every page.
UI_STRINGS = (
    "Teach with this chapter:",
    "Slides",
    "Student notebook",
    "(exercises without solutions)",
    "Teaching guide",
    "Read this page in English",
    "Click to show",
    "Click to hide",
    "Show code cell source",
    "Hide code cell source",
    "(English)",
)
# Theme strings that Sphinx, pydata-sphinx-theme and sphinx-book-theme leave in English (or give
# in traditional characters) on a zh_CN page: what the page shows -> the English message. The
# Chinese build replaces them in its HTML (book/_ext/editions.py).
THEME_STRINGS = {
    "Search this book...": "Search this book...",
    "Main": "Main",
    "Page": "Page",
    "Toggle primary sidebar": "Toggle primary sidebar",
    "Toggle secondary sidebar": "Toggle secondary sidebar",
    "Launch interactive content": "Launch interactive content",
    "Launch on Colab": "Launch on Colab",
    "Colab logo": "Colab logo",
    "列印成 PDF": "Print to PDF",
    "Color mode": "Color mode",
    "System Settings": "System Settings",
    "Table of contents": "Table of contents",
    "© Copyright": "© Copyright",
}
UI_STRINGS = UI_STRINGS + tuple(dict.fromkeys(THEME_STRINGS.values()))
_FIXED_DATE = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)  # no churn in the headers


def locale_dir(root: Path = ROOT, lang: str = LANG) -> Path:
    return Path(root) / "locale" / lang / "LC_MESSAGES"


def pages(root: Path = ROOT) -> List[str]:
    """Every page of the book as ``_toc.yml`` lists it, by path with its suffix."""
    out = []
    for doc in toc_entries(root):
        for suffix in (".ipynb", ".md"):
            if (Path(root) / (doc + suffix)).is_file():
                out.append(doc + suffix)
                break
    return out


def domain_of(page: str) -> str:
    """The catalogue of a page: ``book/01_neuron.ipynb`` -> ``book/01_neuron``."""
    return page.rsplit(".", 1)[0]


def domains(root: Path = ROOT) -> List[str]:
    """Every catalogue: one per page, then the site's."""
    return [domain_of(page) for page in pages(root)] + [SITE_DOMAIN]


def page_texts(path: Path) -> List[str]:
    """The markdown of a page: every markdown cell of a notebook, or the whole ``.md`` file."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf8")]
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def site_messages(root: Path = ROOT) -> List[Tuple[str, str]]:
    """``(message, where)`` for the strings outside the pages."""
    toc = table_of_contents(root)
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf8"))
    out = [(config["title"], "_config.yml:title"), (config["author"], "_config.yml:author")]
    out += [(part["caption"], "_toc.yml:caption") for part in toc.get("parts", [])]
    out += [(text, "ui") for text in UI_STRINGS]
    return out


def extract(root: Path = ROOT) -> Dict[str, Catalog]:
    """A template catalogue per domain (``book/01_neuron``, ..., ``site``) from the sources."""
    templates = {}
    for page in pages(root):
        domain = domain_of(page)
        template = Catalog(locale=LANG, domain=domain, project="dlbook",
                           creation_date=_FIXED_DATE, fuzzy=False)
        for number, text in enumerate(page_texts(Path(root) / page)):
            for message in segments.messages(text):
                template.add(message, locations=[(page, number + 1)])
        templates[domain] = template
    site = Catalog(locale=LANG, domain=SITE_DOMAIN, project="dlbook",
                   creation_date=_FIXED_DATE, fuzzy=False)
    for message, where in site_messages(root):
        site.add(message, locations=[(where, None)])
    templates[SITE_DOMAIN] = site
    return templates


def po_path(domain: str, root: Path = ROOT) -> Path:
    return locale_dir(root) / f"{domain}.po"


def load(domain: str, root: Path = ROOT) -> Catalog:
    path = po_path(domain, root)
    if not path.is_file():
        return Catalog(locale=LANG, domain=domain, project="dlbook",
                       creation_date=_FIXED_DATE, revision_date=_FIXED_DATE, fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=LANG, domain=domain)


def save(catalog: Catalog, domain: str, root: Path = ROOT) -> None:
    catalog.header_comment = (f"# Chinese translation of the dlbook page {domain}.\n"
                              "# Update with `python -m dlbook.i18n update`; see "
                              "CONTRIBUTING.md, \"The Chinese edition\".")
    catalog.copyright_holder = catalog.last_translator = "The dlbook authors"
    catalog.language_team = "dlbook <https://github.com/dlbook/dlbook>"
    catalog.version = ""
    catalog.msgid_bugs_address = "https://github.com/dlbook/dlbook/issues"
    catalog.revision_date = _FIXED_DATE
    catalog.creation_date = _FIXED_DATE
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, ignore_obsolete=True, include_lineno=True)
    path = po_path(domain, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def update(root: Path = ROOT, domains=None) -> List[str]:
    """Merge the messages of the current English sources into every catalogue (or those of
    ``domains``); return the domains whose file changed."""
    changed = []
    for domain, template in extract(root).items():
        if domains is not None and domain not in domains:
            continue
        catalog = load(domain, root)
        before = po_path(domain, root).read_bytes() if po_path(domain, root).is_file() else b""
        catalog.update(template, update_creation_date=False)
        save(catalog, domain, root)
        if po_path(domain, root).read_bytes() != before:
            changed.append(domain)
    return changed


@dataclass
class Status:
    domain: str
    total: int
    missing: List[str]       # in the English page, not in the catalogue: run `update`
    untranslated: List[str]
    fuzzy: List[str]         # the English changed since it was translated
    obsolete: List[str]      # in the catalogue, no longer in the English page

    @property
    def complete(self) -> bool:
        return not (self.missing or self.untranslated or self.fuzzy or self.obsolete)


def status(root: Path = ROOT) -> List[Status]:
    """How each catalogue stands against the current English sources."""
    out = []
    for domain, template in extract(root).items():
        catalog = load(domain, root)
        wanted = [m.id for m in template if m.id]
        have = {m.id: m for m in catalog if m.id}
        out.append(Status(
            domain, len(wanted),
            missing=[m for m in wanted if m not in have],
            untranslated=[m for m in wanted if m in have and not have[m].string],
            fuzzy=[m for m in wanted if m in have and have[m].string and have[m].fuzzy],
            obsolete=[m for m in have if m not in template]))
    return out


def translations(domain: str, root: Path = ROOT) -> Dict[str, str]:
    """English message -> translation, for the finished (translated, not fuzzy) entries."""
    return {m.id: m.string for m in load(domain, root)
            if m.id and m.string and not m.fuzzy}


# ------------------------------------------------------------------ what a translation must keep
_KEPT = re.compile(r"\$\$.*?\$\$|\$[^$]+\$|\{[\w:-]+\}`[^`]*`|`[^`]*`|\]\([^)]*\)|\(\S+\)=",
                   re.S)
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_CJK_BREAK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]\n[\u4e00-\u9fff]")


_TITLED_ROLE = re.compile(r"^(\{[\w:-]+\})`[^`]*<([^>`]+)>`$")


def kept_spans(text: str) -> List[str]:
    """The math, code, roles and link targets of ``text``: a translation keeps all of them
    (of a role with its own title, {numref}`Exercise {number} <label>`, only role and label)."""
    spans = set()
    for span in _KEPT.findall(text):
        titled = _TITLED_ROLE.match(span)
        spans.add(f"{titled.group(1)}<{titled.group(2)}>" if titled else span)
    return sorted(spans)


def numbers(text: str) -> set:
    """The numbers written in digits in ``text`` outside math and code (commas dropped)."""
    prose = _KEPT.sub(" ", text)
    return {n.replace(",", "") for n in _NUMBER.findall(prose)}


def unrendered_emphasis(text: str) -> bool:
    """Whether ``text`` has ``**`` or ``*`` markers that Markdown leaves as literal stars. A
    closing ``**`` after Chinese punctuation and before a Chinese character does not close
    (CommonMark's flanking rules): ``**泛化（generalisation）**的``."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(_KEPT.sub("x", text))  # math as a letter
    return "**" in rendered or re.search(r"(?<![\w*])\*(?=\S)", rendered) is not None


def translation_problems(english: str, chinese: str) -> List[str]:
    """What a translation changed that it must not: math, code, references, numbers, and hard
    line breaks between Chinese characters (a browser shows them as spaces)."""
    out = []
    lost = sorted(set(kept_spans(english)) - set(kept_spans(chinese)))
    if lost:
        out.append(f"math/code/reference changed or missing: {lost}")
    gone = sorted(numbers(english) - numbers(chinese))
    if gone:
        out.append(f"numbers missing: {gone}")
    if _CJK_BREAK.search(chinese):
        out.append("line break between Chinese characters (write a paragraph on one line)")
    if "\n\n" in chinese:
        out.append("blank line inside one message")
    if unrendered_emphasis(chinese) and not unrendered_emphasis(english):
        out.append("** or * that will not render as bold/italic (move punctuation outside it)")
    return out
