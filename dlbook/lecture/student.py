"""The student version of a chapter: the chapter as published, without its solutions.

Exercise prompts stay; each solution (its prose, its code and the code's outputs, from
``{solution-start}`` to ``{solution-end}``) is removed; starter code inside an exercise keeps its
source but loses its outputs; the Colab setup cell comes first, so the notebook runs anywhere.
"""
from __future__ import annotations

import nbformat

from dlbook.colab import ensure_setup_cell
from dlbook.lecture.parts import without_solutions

NOTICE = ("*Student version of this chapter: the exercises are here, their solutions are not. "
          "Run the first code cell to set up `dlbook` (it installs it on Colab).*")


def student_notebook(nb):
    """A copy of ``nb`` for students (see the module docstring); ``nb`` is not changed."""
    out = nbformat.from_dict({**nb, "cells": []})  # the cells below are copies already
    for cell, starter in without_solutions(nb):
        if starter:
            cell.outputs = []
            cell.execution_count = None
        out.cells.append(cell)
    ensure_setup_cell(out)
    first_code = next(i for i, c in enumerate(out.cells) if c.cell_type == "code")
    notice = nbformat.v4.new_markdown_cell(NOTICE)
    notice.id = "student-notice"  # a fixed id: the same chapter gives the same file
    out.cells.insert(first_code, notice)
    nbformat.validate(out)
    return out
