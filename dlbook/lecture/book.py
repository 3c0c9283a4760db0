"""The book's pages and chapters as _toc.yml lists them: what the lecture kit and the
translations are made for."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def table_of_contents(root: Path = ROOT) -> dict:
    return yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf8"))


def toc_entries(root: Path = ROOT) -> list:
    """Every page ``_toc.yml`` lists (root, parts, top-level chapters), without suffix, in order."""
    toc = table_of_contents(root)
    return ([toc["root"]] + [entry["file"] for part in toc.get("parts", [])
                             for entry in part["chapters"]]
            + [entry["file"] for entry in toc.get("chapters", [])])


def chapters(root: Path = ROOT) -> list:
    """``(number, path)`` of every notebook in the numbered parts of ``_toc.yml``, in order."""
    toc = table_of_contents(root)
    out = []
    for part in toc.get("parts", []):
        if not part.get("numbered"):
            continue
        for entry in part["chapters"]:
            path = Path(root) / f"{entry['file']}.ipynb"
            if path.is_file():
                out.append((len(out) + 1, path))
    return out


def title_of(nb) -> str:
    """The chapter's title: its first ``# `` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.split("\n"):
                if line.startswith("# "):
                    return line[2:].strip()
    return "dlbook"
