"""Colab, simulated as a new reader meets it (slow: 1-2 minutes; marker `colab_simulation`).

A fresh virtual environment gets only what a Colab runtime brings for this book: numpy, torch,
matplotlib, ipywidgets, tqdm and a kernel (ipykernel) -- no dlbook, no jupyter-book, no nbval. One notebook
(the first chapter in the table of contents, or the preface while there is none) runs in that
environment's kernel. Its setup cell must find dlbook missing and install it, from a copy of this
checkout named by DLBOOK_INSTALL_SOURCE, without touching torch or numpy; then every cell must run.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

import dlbook
from dlbook.colab import SETUP_CELL

ROOT = Path(__file__).resolve().parent.parent
COLAB_PACKAGES = ("numpy", "torch", "matplotlib", "ipywidgets", "ipykernel", "tqdm")

pytestmark = pytest.mark.colab_simulation


def pinned(names):
    """Exact versions from requirements.txt, so the venv installs from the same local wheels."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return [f"{n}=={pins[n]}" if n in pins else n for n in names]


def notebook_to_run():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))
    for part in toc.get("parts", []):
        for entry in part["chapters"]:
            if (ROOT / f"{entry['file']}.ipynb").is_file():
                return ROOT / f"{entry['file']}.ipynb"
    return ROOT / f"{toc['root']}.ipynb"


def versions(python):
    out = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True,
                         check=True).stdout
    return {p["name"].lower(): p["version"] for p in json.loads(out)}


def clean_env(venv, **extra):
    """The host's environment minus this project's virtualenv: the kernel sees only the fresh venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MPLBACKEND", "DLBOOK_WIDGETS", "JUPYTER_PATH")}
    host_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(venv / "bin")] + [p for p in env.get("PATH", "").split(os.pathsep) if p != host_bin])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def copy_package_source(dest):
    """What a `git clone` of the checkout holds for pip: pyproject, README, the package."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "dlbook", dest / "dlbook", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def test_a_chapter_runs_on_a_fresh_colab_like_runtime(tmp_path):
    from nbclient import NotebookClient

    from dlbook.execute import kernel_manager

    venv = tmp_path / "colab-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = clean_env(venv)
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *pinned(COLAB_PACKAGES)],
                             capture_output=True, text=True, env=env, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    before = versions(python)
    assert "dlbook" not in before and "nbval" not in before and "jupyter-book" not in before

    source = copy_package_source(tmp_path / "dlbook-src")
    km = kernel_manager(python)  # a kernel of the fresh venv's Python

    original = notebook_to_run()
    workdir = tmp_path / "content"  # like Colab's /content: the notebook alone, no checkout beside it
    workdir.mkdir()
    nb = nbformat.read(original, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source == SETUP_CELL, f"{original.name} does not start with the setup cell"
    client = NotebookClient(nb, km=km, timeout=600, allow_errors=False, store_widget_state=False,
                            resources={"metadata": {"path": str(workdir)}})
    kernel_env = clean_env(venv, DLBOOK_INSTALL_SOURCE=str(source),
                           DLBOOK_DATA=os.environ.get("DLBOOK_DATA", str(ROOT.parent / "shared" / "data")))
    try:
        client.execute(env=kernel_env, cwd=str(workdir))  # raises CellExecutionError on any failing cell
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=False)

    printed = "".join(o.get("text", "") for o in first.outputs if o.output_type == "stream")
    assert f"Installing dlbook from {source}" in printed, printed
    assert f"dlbook {dlbook.__version__} |" in printed and "device cpu" in printed, printed

    after = versions(python)
    assert after.get("dlbook") == dlbook.__version__, "the setup cell did not install dlbook"
    changed = {n: (before.get(n), v) for n, v in after.items() if before.get(n) != v and n != "dlbook"}
    assert not changed, f"installing dlbook changed packages under the kernel: {changed}"
    where = subprocess.run([str(python), "-c", "import dlbook; print(dlbook.__file__)"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, check=True).stdout.strip()
    assert Path(where).is_relative_to(venv), f"dlbook imported from {where}, not from the fresh venv"
