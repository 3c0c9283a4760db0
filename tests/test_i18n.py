"""The Chinese edition: the cut into messages, the catalogues' state, and what a translation
must keep (dlbook.i18n; see CONTRIBUTING.md, "The Chinese edition")."""
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from dlbook.i18n import catalog as cat
from dlbook.i18n import edition, segments, worksheet
from dlbook.lecture.book import chapters as book_chapters

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def all_texts():
    for page in cat.pages(ROOT):
        for text in cat.page_texts(ROOT / page):
            yield page, text


# ------------------------------------------------------------------------------ the cut
def test_the_cut_loses_nothing_on_any_page():
    for page, text in all_texts():
        assert segments.render(segments.parse(text), lambda m: m) == text, page


CELL = """## A heading

A paragraph with $x^2$ and `code`,
on two lines.

```{prf:theorem} Universal approximation
:label: th-ua

The body of the theorem.
```

```{solution-start} ex-label
:class: dropdown
```

- first item, which
  continues here
- second item

$$
E = \\tfrac12 (y - \\hat y)^2
$$ (eq-label)

| symbol | meaning |
|---|---|
| $\\eta$ | learning rate |
| $0.1$ | $2$ |

```python
print("code is never a message")
```"""


def test_messages_are_prose_and_structure_stays_verbatim():
    assert segments.messages(CELL) == [
        "A heading", "A paragraph with $x^2$ and `code`,\non two lines.",
        "Universal approximation", "The body of the theorem.",
        "first item, which\ncontinues here", "second item",
        "| symbol | meaning |", "| $\\eta$ | learning rate |"]


def test_a_translation_goes_back_where_the_english_was():
    out = segments.translate_markdown(CELL, lambda m: f"<{m.upper()}>")
    assert out.startswith("## <A HEADING>\n")
    assert "```{prf:theorem} <UNIVERSAL APPROXIMATION>\n:label: th-ua\n" in out
    assert "```{solution-start} ex-label\n:class: dropdown\n```" in out  # a label, not a title
    assert "- <FIRST ITEM, WHICH\n  CONTINUES HERE>\n- <SECOND ITEM>" in out
    assert "$$\nE = \\tfrac12 (y - \\hat y)^2\n$$ (eq-label)" in out
    assert '```python\nprint("code is never a message")\n```' in out
    assert "| $0.1$ | $2$ |" in out


# ------------------------------------------------------------------------------ the catalogues
def test_every_catalogue_is_complete_and_current():
    """Fails when an English paragraph changed and its translation was not revised: the
    catalogue then lacks the new text (run `update`) or holds it fuzzy (translate it)."""
    report = [f"{s.domain}: {len(s.missing)} not in the catalogue, {len(s.untranslated)} "
              f"untranslated, {len(s.fuzzy)} fuzzy, {len(s.obsolete)} obsolete "
              f"(first: {(s.missing + s.untranslated + s.fuzzy + s.obsolete)[0][:70]!r})"
              for s in cat.status(ROOT) if not s.complete]
    assert not report, ("the Chinese edition is behind the English one; run `python -m "
                        "dlbook.i18n update`, then translate what `python -m dlbook.i18n "
                        "worksheet DOMAIN` lists:\n" + "\n".join(report))


@pytest.fixture
def copy_of_book(tmp_path):
    for name in ("_toc.yml", "_config.yml", "book", "locale"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name,
                            ignore=shutil.ignore_patterns("_static", "_ext", "*.json"))
        else:
            shutil.copy2(source, tmp_path / name)
    return tmp_path


def test_an_english_edit_leaves_its_translation_fuzzy(copy_of_book):
    path = copy_of_book / "book" / "01_neuron.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and
                any(isinstance(p, segments.Message) and "\n" in p.text
                    for p in segments.parse(c.source)))
    old = next(p.text for p in segments.parse(cell.source)
               if isinstance(p, segments.Message) and "\n" in p.text)
    cell.source = cell.source.replace(old, old.replace("\n", " (edited)\n", 1))
    nbformat.write(nb, path)
    before = {s.domain: s for s in cat.status(copy_of_book)}["book/01_neuron"]
    assert len(before.missing) == 1 and len(before.obsolete) == 1
    cat.update(copy_of_book)
    after = {s.domain: s for s in cat.status(copy_of_book)}["book/01_neuron"]
    assert len(after.fuzzy) == 1 and not after.missing and not after.obsolete
    entry = cat.load("book/01_neuron", copy_of_book).get(after.fuzzy[0])
    assert entry.string == cat.load("book/01_neuron", ROOT).get(old).string, \
        "the old translation is kept for the translator to revise"


def test_translations_keep_math_code_references_and_numbers():
    problems = []
    for domain in cat.domains(ROOT):
        for entry in cat.load(domain, ROOT):
            if entry.id and entry.string:
                problems += [f"{domain}: {p}: {entry.id[:60]!r}"
                             for p in cat.translation_problems(entry.id, entry.string)]
    assert not problems, "\n".join(problems[:20])


def test_every_translation_is_chinese():
    """Names (Adam, "ResNet (2015)") may stay as they are; a sentence may not."""
    def words(text):
        return re.findall(r"[A-Za-z]{2,}", cat._KEPT.sub(" ", text))

    left_english = [f"{domain}: {entry.id[:70]!r}"
                    for domain in cat.domains(ROOT)
                    for entry in cat.load(domain, ROOT)
                    if entry.id and entry.string and not CJK.search(entry.string)
                    and len(words(entry.id)) > 3]
    assert not left_english, "\n".join(left_english)


def test_the_glossary_terms_are_the_translation_terms():
    """Each row's Chinese term appears in the Chinese text of the chapter that defines it."""
    chapters = {number: path.stem for number, path in book_chapters(ROOT)}
    texts = {}
    absent = []

    def plain(text):  # "$\beta$ 阶光滑" is the term "β 阶光滑"
        return re.sub(r"\s|\$", "", text.replace("\\beta", "β").replace("\\alpha", "α"))

    for line in (ROOT / "book" / "glossary.md").read_text(encoding="utf8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 3 or not re.match(r"\d+ ", cells[2]):
            continue
        stem = chapters[int(cells[2].split()[0])]
        if stem not in texts:
            table = cat.translations(f"book/{stem}", ROOT)
            texts[stem] = plain("\n".join(table.values()))
        for term in re.sub(r"\(.*?\)", "", cells[1]).split("/"):
            if term.strip() and plain(term) not in texts[stem]:
                absent.append(f"{cells[0]} -> {term.strip()} (chapter {cells[2]})")
    assert not absent, "glossary terms missing from their chapter's translation:\n" + \
        "\n".join(absent)


# ------------------------------------------------------------------------------ worksheets
def test_a_worksheet_round_trip_changes_nothing(copy_of_book):
    po = cat.po_path("book/notation", copy_of_book)
    before = po.read_bytes()
    assert worksheet.import_text(worksheet.export("book/notation", everything=True,
                                                  root=copy_of_book), copy_of_book) == []
    assert po.read_bytes() == before


def test_a_broken_worksheet_is_refused():
    with pytest.raises(ValueError, match="domain"):
        worksheet.parse("no header\n")
    problems = worksheet.import_text("[[[ domain book/notation ]]]\n[[[ en 0 ]]]\nNot a message"
                                     "\n[[[ zh ]]]\n译文\n", ROOT)
    assert problems and "not in the catalogue" in problems[0]


def test_a_translation_that_drops_math_or_numbers_is_reported():
    english = "With $\\eta = 0.1$ and 200 runs, see {eq}`tr-clip` and `torch.optim.SGD`."
    assert cat.translation_problems(english, "取 $\\eta = 0.1$，运行 200 次，见 {eq}`tr-clip` 与 "
                                             "`torch.optim.SGD`。") == []
    problems = cat.translation_problems(english, "取 $\\eta=0.1$，运行两百次，\n见公式。")
    assert len(problems) == 3, problems


# ------------------------------------------------------------------------------ the edition
def test_the_colab_notebooks_are_current():
    stale = [page for page in edition.notebook_pages(ROOT)
             if not (ROOT / edition.EDITION_DIR / page).is_file()
             or (ROOT / edition.EDITION_DIR / page).read_text(encoding="utf8")
             != edition.colab_notebook_text(page, ROOT)]
    assert not stale, f"zh/ is behind the English notebooks: {stale}; run `python -m dlbook.i18n " \
                      "update` and commit zh/"


def test_a_chinese_notebook_differs_from_the_english_only_in_its_prose():
    english = nbformat.read(ROOT / "book" / "03_backprop.ipynb", as_version=4)
    chinese = edition.translated_notebook("book/03_backprop.ipynb", ROOT)
    assert len(english.cells) == len(chinese.cells)
    for e, c in zip(english.cells, chinese.cells):
        if e.cell_type == "code":
            assert (e.source, e.outputs) == (c.source, c.outputs)
        else:
            assert CJK.search(c.source) or not segments.messages(e.source)
    assert not [o for c in edition.without_outputs(chinese).cells if c.cell_type == "code"
                for o in c.outputs]


def test_the_chinese_config_sets_language_title_and_colab_path():
    config = edition.chinese_config(ROOT)
    english = cat.site_messages(ROOT)[0][0]
    assert config["sphinx"]["config"]["language"] == "zh_CN"
    assert config["repository"]["path_to_book"] == edition.EDITION_DIR
    assert config["title"] != english and CJK.search(config["title"])
    assert all(CJK.search(v) for v in config["sphinx"]["config"]["dlbook_theme_ui"].values())
    captions = [part["caption"] for part in edition.chinese_toc(ROOT)["parts"]]
    assert all(CJK.search(c) for c in captions), captions


def test_bold_that_markdown_would_not_render_is_reported():
    assert cat.unrendered_emphasis("**泛化（generalisation）**的误差")
    assert not cat.unrendered_emphasis("**泛化**（generalisation）的误差，$a*b$")
    assert cat.translation_problems("**Generalisation.** Text.", "**泛化。**正文。")
