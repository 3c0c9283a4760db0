"""The Chinese edition, generated from the English sources and the catalogues.

Sphinx's own gettext route cannot translate notebooks: MyST-NB re-parses a translated message
as notebook JSON and fails with ``NotJSONError`` (executablebooks/MyST-NB issue 587). So the
translation happens before Sphinx: :func:`write_source_tree` writes translated copies of every
page (markdown replaced, code cells and their outputs copied unchanged) with a Chinese
``_config.yml`` and ``_toc.yml`` into ``_build/zh_src``, and :func:`build` runs Jupyter Book on
that tree into ``_build/html/zh``. :func:`write_colab_notebooks` writes the same notebooks
without outputs into ``zh/book/`` of the repository, where the Chinese pages' Colab buttons
find them.
"""
from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import nbformat
import yaml

from dlbook.i18n import catalog as cat
from dlbook.i18n.segments import translate_markdown
from dlbook.lecture.book import table_of_contents

EDITION_DIR = "zh"  # the Chinese site's folder in _build/html and the Colab notebooks' folder
SOURCE_TREE = "zh_src"   # in the work folder (default _build): the translated sources ...
BUILD_OUTPUT = "zh_out"  # ... and what Jupyter Book makes of them, cache included
SITE_OUTPUT = Path("_build") / "html" / EDITION_DIR
# What the Chinese tree needs from the English one besides the pages: static files, the book's
# Sphinx extensions, the bibliography.
SHARED_FILES = ("book/_static", "book/_ext", "book/references.bib")


class Translator:
    """English message -> translation for one catalogue; an untranslated message stays English
    and is remembered, so a build can report (or refuse) it."""

    def __init__(self, domain: str, root: Path = cat.ROOT):
        self.domain = domain
        self.table = cat.translations(domain, root)
        self.missing: List[str] = []

    def __call__(self, message: str) -> str:
        if message in self.table:
            return self.table[message]
        self.missing.append(message)
        return message


def translated_notebook(page: str, root: Path = cat.ROOT, translator=None):
    """The notebook ``page`` with its markdown translated; code and outputs as they are."""
    translate = translator or Translator(cat.domain_of(page), root)
    nb = nbformat.read(Path(root) / page, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, translate)
    nb.metadata["language"] = cat.LANG
    return nb


def without_outputs(nb):
    """A copy of ``nb`` to open and run (on Colab): no outputs, counts or widget state."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file holds it already (Sphinx then reuses its cache)."""
    if path.is_file() and path.read_text(encoding="utf8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf8")
    return True


def notebook_pages(root: Path = cat.ROOT) -> List[str]:
    return [page for page in cat.pages(root) if page.endswith(".ipynb")]


def colab_notebook_text(page: str, root: Path = cat.ROOT) -> str:
    """What ``zh/<page>`` holds: the translated notebook without outputs."""
    return nbformat.writes(without_outputs(translated_notebook(page, root))) + "\n"


def write_colab_notebooks(root: Path = cat.ROOT) -> List[Path]:
    """Write ``zh/book/*.ipynb`` (the notebooks the Chinese Colab buttons open); return those
    that changed."""
    changed = []
    for page in notebook_pages(root):
        path = Path(root) / EDITION_DIR / page
        if _write_if_changed(path, colab_notebook_text(page, root)):
            changed.append(path)
    return changed


def site_strings(root: Path = cat.ROOT, translate=None) -> Dict[str, str]:
    """English -> Chinese for the title, part captions and interface strings."""
    translate = translate or Translator(cat.SITE_DOMAIN, root)
    return {message: translate(message) for message, _ in cat.site_messages(root)}


def chinese_config(root: Path = cat.ROOT, ui: Dict[str, str] | None = None) -> dict:
    """The English ``_config.yml`` with the Chinese title, language and Colab path."""
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf8"))
    ui = ui or site_strings(root)
    config["title"] = ui[config["title"]]
    config["author"] = ui[config["author"]]
    config["repository"]["path_to_book"] = EDITION_DIR
    sphinx = config["sphinx"]["config"]
    sphinx["language"] = cat.LANG
    sphinx["dlbook_edition"] = cat.LANG
    sphinx["dlbook_ui"] = {text: ui[text] for text in cat.UI_STRINGS}
    sphinx["togglebutton_hint"] = ui["Click to show"]
    sphinx["togglebutton_hint_hide"] = ui["Click to hide"]
    # The chapters fold code with the hide-input tag only, so the prompt's {type} is "source".
    sphinx["nb_code_prompt_show"] = ui["Show code cell source"]
    sphinx["nb_code_prompt_hide"] = ui["Hide code cell source"]
    sphinx["dlbook_theme_ui"] = {shown: ui[english]
                                 for shown, english in cat.THEME_STRINGS.items()}
    return config


def chinese_toc(root: Path = cat.ROOT, ui: Dict[str, str] | None = None) -> dict:
    toc = table_of_contents(root)
    ui = ui or site_strings(root)
    for part in toc.get("parts", []):
        part["caption"] = ui[part["caption"]]
    return toc


def write_source_tree(out: Path, root: Path = cat.ROOT) -> List[str]:
    """Write the Chinese book's sources into ``out``; return the messages left in English."""
    out = Path(out)
    missing: List[str] = []
    for page in cat.pages(root):
        translate = Translator(cat.domain_of(page), root)
        if page.endswith(".ipynb"):
            text = nbformat.writes(translated_notebook(page, root, translate)) + "\n"
        else:
            text = translate_markdown((Path(root) / page).read_text(encoding="utf8"), translate)
        _write_if_changed(out / page, text)
        missing += [f"{page}: {m[:70]!r}" for m in translate.missing]
    for name in SHARED_FILES:
        source, target = Path(root) / name, out / name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    site_translator = Translator(cat.SITE_DOMAIN, root)
    ui = site_strings(root, site_translator)
    missing += [f"site: {m[:70]!r}" for m in site_translator.missing]
    dump = lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    _write_if_changed(out / "_config.yml", dump(chinese_config(root, ui)))
    _write_if_changed(out / "_toc.yml", dump(chinese_toc(root, ui)))
    return missing


def build(strict: bool = False, root: Path = cat.ROOT, site: Path | None = None,
          work: Path | None = None) -> int:
    """Build the Chinese website into ``site`` (default ``_build/html/zh``), with its sources
    and Sphinx's cache in ``work`` (default ``_build``)."""
    root = Path(root)
    work = Path(work) if work else root / "_build"
    tree, output = work / SOURCE_TREE, work / BUILD_OUTPUT
    site = Path(site) if site else root / SITE_OUTPUT
    missing = write_source_tree(tree, root)
    if missing:
        print(f"{len(missing)} messages have no finished translation and stay in English "
              "(python -m dlbook.i18n status):", *missing[:20], sep="\n  ", file=sys.stderr)
        if strict:
            return 1
    exe = Path(sys.executable).with_name("jupyter-book")
    command = [str(exe) if exe.exists() else "jupyter-book", "build", str(tree),
               "--path-output", str(output), "-n", "-W", "--keep-going"]
    result = subprocess.run(command, cwd=root)
    if result.returncode != 0:
        return result.returncode
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(output / "_build" / "html", site)
    print(f"Chinese edition: {site / 'book' / 'preface.html'}")
    return 0
