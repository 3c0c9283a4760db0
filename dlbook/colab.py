"""The standard first code cell of every chapter, and helpers to check or refresh it.

On Colab (or anywhere ``dlbook`` is not importable) the cell pip-installs the dlbook release that
matches the notebook, ``git+https://github.com/dlbook/dlbook@v<version>``, with ``--no-deps``: pip
resolves nothing, so it cannot upgrade a package under the running kernel (a resolver run once
upgraded jupyter-client through ipywidgets -> notebook -> jupyter-server). What dlbook needs
(:data:`REQUIREMENTS`) is then checked by :func:`check_requirements`, which names every missing or
too old package and the one pip command that fixes it, instead of failing later inside a chapter. ``DLBOOK_INSTALL_SOURCE`` overrides what is
installed (a local checkout, a wheel, a branch): the Colab simulation test uses it. Then the cell
switches TF32 off on GPUs (``dlbook.device.use_exact_float32()``) and prints the versions and the
device (``dlbook.device.describe_environment()``).

``python -m dlbook.execute`` writes this cell at the top of each notebook it runs (or refreshes an
outdated one), and tests/test_notebooks_meta.py checks that every chapter starts with it.
"""
from __future__ import annotations

import dlbook

# The repository; _config.yml (repository.url) names the same one for the Colab launch buttons.
REPO_URL = "https://github.com/dlbook/dlbook"
INSTALL_SOURCE_ENV = "DLBOOK_INSTALL_SOURCE"
SETUP_MARKER = "# dlbook setup"

_SETUP_TEMPLATE = '''\
# dlbook setup: on Colab, install the dlbook release this notebook was
# written for (without touching torch or numpy), then show the versions and
# the device. Set DLBOOK_SCALE=full for the larger runs.
# NBVAL_IGNORE_OUTPUT
import importlib, importlib.util, os, subprocess, sys

if importlib.util.find_spec("dlbook") is None:
    source = os.environ.get("{env}",
                            "git+{repo}@v{version}")
    print("Installing dlbook from", source)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "--no-deps", source], check=True)
    importlib.invalidate_caches()

import dlbook.colab, dlbook.device

dlbook.colab.check_requirements()  # names missing or old packages, and the fix
dlbook.device.use_exact_float32()  # no TF32 on GPUs: float32 twins stay exact
print(dlbook.device.describe_environment())'''


def setup_cell_source(version: str | None = None) -> str:
    """The exact source of the setup cell for ``version`` (default: the installed dlbook's)."""
    return _SETUP_TEMPLATE.format(env=INSTALL_SOURCE_ENV, repo=REPO_URL, version=version or dlbook.__version__)


SETUP_CELL = setup_cell_source()

# What dlbook needs at run time, as lowest versions; pyproject.toml's dependencies say the same
# (tests/test_notebooks_meta.py keeps them equal). Ranges, so Colab's own packages satisfy them.
REQUIREMENTS = {"numpy": "1.22", "torch": "1.13", "matplotlib": "3.5", "ipywidgets": "7.6",
                "tqdm": "4.60"}


def _version_tuple(version: str) -> tuple:
    """(2, 13, 0) from "2.13.0+cpu" or "2.13.0rc1": the leading numeric release components."""
    parts = []
    for piece in version.split("+")[0].split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) < len(piece):
            break
    return tuple(parts)


def requirement_problems(installed_version=None) -> list:
    """``["torch>=1.13 (missing)", "numpy>=1.22 (found 1.21.6)"]`` for what is not satisfied.

    ``installed_version(name)`` returns a version string or None (default: the installed
    distribution's, via importlib.metadata).
    """
    if installed_version is None:
        from importlib import metadata

        def installed_version(name):
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                return None

    problems = []
    for name, lowest in REQUIREMENTS.items():
        found = installed_version(name)
        if found is None:
            problems.append(f"{name}>={lowest} (missing)")
        elif _version_tuple(found) < _version_tuple(lowest):
            problems.append(f"{name}>={lowest} (found {found})")
    return problems


def check_requirements(installed_version=None) -> None:
    """Raise ImportError naming every missing or too old requirement and the pip command to fix it.

    The setup cell installs dlbook with ``--no-deps`` so that nothing the runtime provides is
    replaced behind the kernel's back; this is where a missing package is reported instead.
    """
    problems = requirement_problems(installed_version)
    if problems:
        wanted = " ".join(f"'{p.split(' ')[0]}'" for p in problems)
        raise ImportError(
            "dlbook needs " + ", ".join(problems) + f". Install with: pip install {wanted} -- "
            "then restart the kernel (on Colab: Runtime > Restart session) and run this cell again.")


def is_setup_cell(cell) -> bool:
    """True for a code cell that is a dlbook setup cell of any version."""
    return cell.get("cell_type") == "code" and cell_source(cell).startswith(SETUP_MARKER)


SETUP_TAG = "hide-input"  # the website folds the installer away; its printed versions stay visible


def ensure_setup_cell(nb) -> bool:
    """Make the notebook's first code cell the current setup cell; return True if it changed.

    An outdated setup cell is rewritten in place; a notebook without one gets it inserted before
    its first code cell. Either way the cell carries the ``hide-input`` tag.
    """
    import nbformat

    code_cells = [i for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]
    if code_cells and is_setup_cell(nb.cells[code_cells[0]]):
        cell = nb.cells[code_cells[0]]
        changed = _tag(cell)
        if cell_source(cell) == SETUP_CELL:
            return changed
        cell["source"] = SETUP_CELL
        cell["outputs"] = []
        cell["execution_count"] = None
        return True
    where = code_cells[0] if code_cells else len(nb.cells)
    nb.cells.insert(where, nbformat.v4.new_code_cell(SETUP_CELL))
    _tag(nb.cells[where])
    return True


def _tag(cell) -> bool:
    tags = cell.setdefault("metadata", {}).setdefault("tags", [])
    if SETUP_TAG in tags:
        return False
    tags.append(SETUP_TAG)
    return True


def colab_url(notebook_path: str, branch: str = "main") -> str:
    """The URL that opens ``notebook_path`` (relative to the repository root) on Colab."""
    owner_repo = REPO_URL.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{notebook_path}"


def cell_source(cell) -> str:
    """A cell's source as one string (nbformat allows a list of lines too)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src
