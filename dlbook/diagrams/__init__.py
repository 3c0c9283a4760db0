"""Diagrams drawn by code, in the book's one style: neurons, networks, convolutions, architectures.

A diagram is a function that returns a matplotlib Figure, built from the primitives of
:mod:`dlbook.diagrams.base` (canvas, box, node, arrow, label), so that every picture in the book is
reviewed, restyled and tested like code. Each chapter keeps its diagrams in its own module
(``dlbook.diagrams.neuron``, ``dlbook.diagrams.cnn``, ...); chapters import them and call them in a
folded (``hide-input``) cell.
"""
from dlbook.diagrams.base import (DIAGRAM_COLORS, arrow, box, canvas, label, node,
                                  grid_cells)

__all__ = ["DIAGRAM_COLORS", "arrow", "box", "canvas", "label", "node", "grid_cells"]
