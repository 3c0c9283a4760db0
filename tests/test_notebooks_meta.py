"""The notebooks as files: stored outputs, the standard setup cell, kernel metadata, size, the Colab
path, the table of contents, and `python -m dlbook.execute` itself."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

import dlbook
from dlbook import colab

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
MAX_NOTEBOOK_BYTES = 3_000_000
MAX_CODE_LINE = 80


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part["chapters"]]
    files += [entry["file"] for entry in toc.get("chapters", [])]
    return files


def config():
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))


def resolve(entry):
    hits = [p for p in (ROOT / f"{entry}.ipynb", ROOT / f"{entry}.md") if p.is_file()]
    return hits[0] if hits else None


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_toc_entry_exists_and_every_notebook_is_in_the_toc():
    entries = toc_files()
    assert entries[0] == "book/preface" and entries[-2:] == ["book/glossary", "book/references"]
    missing = [e for e in entries if resolve(e) is None]
    assert not missing, f"_toc.yml lists files that do not exist (the strict build fails): {missing}"
    listed = {resolve(e) for e in entries}
    orphans = [p.name for p in NOTEBOOKS if p not in listed]
    assert not orphans, f"notebooks missing from _toc.yml (the site would not show them): {orphans}"


def test_repository_url_is_the_same_for_launch_buttons_and_the_setup_cell():
    cfg = config()
    assert cfg["repository"]["url"] == colab.REPO_URL
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert cfg["repository"]["path_to_book"] == "" and cfg["repository"]["branch"] == "main"


def test_setup_cell_installs_this_version_from_the_repository():
    assert f"git+{colab.REPO_URL}@v{dlbook.__version__}" in colab.SETUP_CELL
    assert colab.SETUP_CELL.startswith(colab.SETUP_MARKER)
    assert "DLBOOK_INSTALL_SOURCE" in colab.SETUP_CELL and "describe_environment()" in colab.SETUP_CELL
    assert "use_exact_float32()" in colab.SETUP_CELL  # twins on a GPU compare true float32
    compile(colab.SETUP_CELL, "<setup cell>", "exec")
    for forbidden in ("torch", "numpy"):
        assert f"install {forbidden}" not in colab.SETUP_CELL and "--upgrade" not in colab.SETUP_CELL
    # pip must resolve nothing (it could upgrade packages under the running kernel); the
    # requirements are checked instead, with a clear message.
    assert '"--no-deps"' in colab.SETUP_CELL and "check_requirements()" in colab.SETUP_CELL


def test_runtime_requirements_match_pyproject():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(deps) == sorted(f"{n}>={v}" for n, v in colab.REQUIREMENTS.items())


def test_pyproject_uses_an_spdx_license_and_a_bounded_build_backend():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "MIT"
    (backend,) = meta["build-system"]["requires"]
    assert backend.startswith("setuptools>=77,<"), backend
    extras = " ".join(meta["project"]["optional-dependencies"]["test"])
    for needed in ("nbclient", "pyyaml", "nbval", "hypothesis"):
        assert needed in extras


def test_missing_or_old_requirements_are_named_with_the_fix():
    found = {"numpy": "1.21.6", "torch": None, "matplotlib": "3.10.0",
             "ipywidgets": "7.7.1", "tqdm": "4.67.1"}
    assert colab.requirement_problems(found.get) == ["numpy>=1.22 (found 1.21.6)",
                                                     "torch>=1.13 (missing)"]
    with pytest.raises(ImportError, match=r"pip install 'numpy>=1.22' 'torch>=1.13' -- then "
                                          r"restart the kernel"):
        colab.check_requirements(found.get)
    ok = dict(found, numpy="2.5.0rc1", torch="2.15.0+cu126")
    assert colab.requirement_problems(ok.get) == []
    colab.check_requirements(ok.get)
    colab.check_requirements()  # this environment has everything


@pytest.mark.parametrize("version, expected", [("2.13.0+cpu", (2, 13, 0)), ("1.22", (1, 22)),
                                               ("2.5.0rc1", (2, 5, 0)), ("8.1.9.dev3", (8, 1, 9))])
def test_version_tuples_ignore_local_and_pre_release_tags(version, expected):
    assert colab._version_tuple(version) == expected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
class TestNotebook:
    def test_code_lines_fit_the_column(self, path):
        """At most 80 characters a line, so code fits the website's column unscrolled."""
        nb = nbformat.read(path, as_version=4)
        long = [(i, len(line)) for i, c in enumerate(code_cells(nb))
                for line in c.source.split("\n") if len(line) > MAX_CODE_LINE]
        assert not long, f"{path.name}: (code cell, line length) over {MAX_CODE_LINE}: {long}"

    def test_size(self, path):
        assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"

    def test_kernel_metadata(self, path):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["kernelspec"]["language"] == "python"
        assert nb.metadata["language_info"]["name"] == "python"
        assert "widgets" not in nb.metadata, \
            "stored widget state makes the site load the widget manager from a CDN; run python -m dlbook.execute"

    def test_first_code_cell_is_the_current_setup_cell(self, path):
        nb = nbformat.read(path, as_version=4)
        first = code_cells(nb)[0]
        assert first.source == colab.SETUP_CELL, \
            f"{path.name}: the first code cell is not the setup cell of dlbook {dlbook.__version__}; " \
            "python -m dlbook.execute writes it"
        assert colab.SETUP_TAG in first.metadata.get("tags", []), f"{path.name}: the setup cell is not folded on the site"

    def test_outputs_are_stored_from_one_clean_run(self, path):
        nb = nbformat.read(path, as_version=4)
        cells = [c for c in code_cells(nb) if c.source.strip()]
        counts = [c.execution_count for c in cells]
        assert counts == list(range(1, len(cells) + 1)), \
            f"{path.name}: execution counts {counts}: re-run it top to bottom with python -m dlbook.execute"
        assert any(c.outputs for c in cells), f"{path.name} has no stored outputs: nbval would check nothing"
        for cell in cells:
            for out in cell.outputs:
                assert out.output_type != "error", f"{path.name} stores an error output"
                data = out.get("data", {})
                assert "application/vnd.jupyter.widget-view+json" not in data, \
                    f"{path.name} stores a live widget view: the website would show an empty box"
                if "text/html" in data and "dlbook-slider" in data["text/html"]:
                    assert "text/plain" in data

    def test_colab_button_opens_this_notebook(self, path):
        rel = path.relative_to(ROOT).as_posix()
        url = colab.colab_url(rel, branch=config()["repository"]["branch"])
        assert url == f"https://colab.research.google.com/github/dlbook/dlbook/blob/main/{rel}"
        # The launch button builds the same URL from _config.yml; the path is the file's own.
        assert (ROOT / url.split("/blob/main/", 1)[1]).resolve() == path.resolve()


# ------------------------------------------------------------------------------ the helpers
def test_ensure_setup_cell_inserts_and_refreshes():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    assert colab.ensure_setup_cell(nb) is True
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[1].source == colab.SETUP_CELL
    assert nb.cells[1].metadata["tags"] == [colab.SETUP_TAG]
    assert colab.ensure_setup_cell(nb) is False
    nb.cells[1].metadata["tags"] = []
    assert colab.ensure_setup_cell(nb) is True and nb.cells[1].metadata["tags"] == [colab.SETUP_TAG]
    nb.cells[1].source = colab.setup_cell_source("0.0.1")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="old")]
    assert colab.ensure_setup_cell(nb) is True
    assert nb.cells[1].source == colab.SETUP_CELL and nb.cells[1].outputs == []
    assert len(nb.cells) == 3


def test_execute_runs_in_place_deterministically(tmp_path):
    """Two runs of `python -m dlbook.execute` give byte-identical notebooks, slider included."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A test chapter"),
        nbformat.v4.new_code_cell("import os, random\nprint(os.environ['DLBOOK_WIDGETS'], os.environ['OMP_NUM_THREADS'])"),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "from dlbook.widgets import slider_figure, IntSlider\n"
            "def draw(n):\n    fig, ax = plt.subplots(figsize=(2, 1.5))\n    ax.plot(range(n))\n    return fig\n"
            "slider_figure(draw, n=IntSlider(2, 4))"),
    ]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    run = [sys.executable, "-m", "dlbook.execute", str(path)]
    first = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "chapter.ipynb" in first.stdout and " s" in first.stdout  # the timing line
    once = path.read_bytes()
    second = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert second.returncode == 0, second.stdout + second.stderr
    assert path.read_bytes() == once, "re-executing an unchanged notebook changed it"

    done = json.loads(once)
    assert "widgets" not in done["metadata"]
    cells = [c for c in done["cells"] if c["cell_type"] == "code"]
    assert "".join(cells[0]["source"]) == colab.SETUP_CELL
    assert [c["execution_count"] for c in cells] == [1, 2, 3]
    assert "".join(cells[1]["outputs"][0]["text"]) == "static 1\n"
    slider = cells[2]["outputs"][0]["data"]
    assert set(slider) == {"text/plain", "text/html"}
    assert all("execution" not in c["metadata"] for c in cells)


def test_execute_with_a_seed_writes_elsewhere_and_passes_the_seed(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from dlbook.device import base_seed\nprint(base_seed())")]
    path = tmp_path / "seeded.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "dlbook.execute", "--seed", "3", "--output-dir",
                             str(out), str(path)], capture_output=True, text=True, cwd=ROOT,
                            timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kernel CPU" in result.stdout
    assert path.read_bytes() == before  # the committed notebook is not touched
    done = nbformat.read(out / "seeded.ipynb", as_version=4)
    assert done.cells[-1].outputs[0]["text"] == "3\n"


def test_executing_a_chapter_also_refreshes_the_teaching_guide(tmp_path):
    from dlbook.execute import BOOK_DIR, with_dependents

    chapter = BOOK / "03_backprop.ipynb"
    assert with_dependents([chapter]) == [chapter, BOOK_DIR / "teaching.ipynb"]
    assert with_dependents([chapter], in_place=False) == [chapter]
    assert with_dependents([tmp_path / "x.ipynb"]) == [tmp_path / "x.ipynb"]
    guide = BOOK / "teaching.ipynb"
    assert with_dependents([guide, chapter]) == [guide, chapter]


def test_save_timing_keeps_one_entry_per_notebook(tmp_path):
    from dlbook.execute import save_timing

    timings = tmp_path / "timings.json"
    save_timing(Path("book/02_mlp.ipynb"), 41.26, 50.0, timings)
    save_timing(Path("book/01_neuron.ipynb"), 6.54, 7.0, timings)
    save_timing(Path("book/02_mlp.ipynb"), 40.0, 45.0, timings)
    assert json.loads(timings.read_text()) == {
        "01_neuron": {"kernel_cpu_s": 6.5, "wall_s": 7.0},
        "02_mlp": {"kernel_cpu_s": 40.0, "wall_s": 45.0}}


def test_execute_reports_a_failing_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run([sys.executable, "-m", "dlbook.execute", str(path)], capture_output=True, text=True,
                            cwd=ROOT, timeout=240)
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "broken.ipynb" in result.stderr
