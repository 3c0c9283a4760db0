"""A chapter notebook without its solutions: shared by the slides and the student notebooks.

Solutions are gated by sphinx-exercise's ``{solution-start}`` / ``{solution-end}`` fences, which
may sit anywhere in a markdown cell: one cell often ends a solution, states the next exercise and
starts its solution. So solutions are cut out of the text fence by fence, not cell by cell; code
cells between the fences go with them. A plain ``{solution}`` directive is removed whole.
"""
from __future__ import annotations

import copy
import re

from dlbook.colab import cell_source as source

_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}[^\n]*\n(?::[^\n]*\n)*\1[ \t]*$", re.M)
_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}[^\n]*\n(?::[^\n]*\n)*\1[ \t]*$", re.M)
_PLAIN_SOLUTION = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$",
                             re.M | re.S)
_EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}", re.M)


def tags(cell) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


def _cut(text: str, inside: bool) -> tuple[str, bool]:
    """The parts of ``text`` outside solutions, and whether the text ends inside one."""
    kept, pos = [], 0
    while True:
        pattern = _END if inside else _START
        m = pattern.search(text, pos)
        if m is None:
            if not inside:
                kept.append(text[pos:])
            return "".join(kept), inside
        if not inside:
            kept.append(text[pos:m.start()])
        pos, inside = m.end(), not inside


def without_solutions(nb) -> list:
    """``(cell, is_starter_code)`` for the cells that remain once the solutions are cut out.

    Cells are copies; markdown left empty by the cut is dropped. ``is_starter_code`` marks a code
    cell that sits in an exercise (after its prompt, before its solution).
    """
    out, inside, in_exercise = [], False, False
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            if not inside:
                out.append((copy.deepcopy(cell), cell.get("cell_type") == "code" and in_exercise))
            continue
        text, ends_inside = _cut(source(cell), inside)
        text = _PLAIN_SOLUTION.sub("", text).strip("\n")
        inside = ends_inside
        last_exercise = max((m.start() for m in _EXERCISE.finditer(text)), default=-1)
        last_heading = max((m.start() for m in re.finditer(r"^#", text, re.M)), default=-1)
        in_exercise = not inside and last_exercise > last_heading and last_exercise >= 0 and \
            _START.search(source(cell)) is None
        if text.strip():
            kept = copy.deepcopy(cell)
            kept["source"] = text
            out.append((kept, False))
    if inside:
        raise ValueError("nb: a {solution-start} has no {solution-end}")
    return out
