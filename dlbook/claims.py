"""Checked claims: a sentence about an experiment that stops the chapter when it is false.

A chapter states what an experiment shows ("depth 3 ends ten times lower than depth 1") in the
cell that produces the evidence, through :func:`claim`::

    claim("depth 3 ends at least 10x lower than depth 1 in every seed",
          all(r >= 10 for r in ratios), f"ratios {fmt(ratios)}")

It prints one line, ``✓ <claim> (<evidence>)``, which nbval compares with the stored output, so
the numbers behind the claim are re-checked on every run. If the claim does not hold it raises
:class:`ClaimFailed`: execution stops there and nbval fails, instead of the prose going on to say
something the numbers no longer support. A claim must hold for any ``DLBOOK_SEED``
(:func:`dlbook.device.base_seed`), so claims about noisy comparisons are made over several seeds
or with a robust statistic.
"""
from __future__ import annotations

import numbers

import numpy as np

MARK = "✓ "

__all__ = ["claim", "ClaimFailed", "MARK"]


class ClaimFailed(AssertionError):
    """A checked claim that the computed numbers do not support."""


def claim(statement: str, holds, evidence: str = "") -> None:
    """Print ``✓ statement (evidence)`` if ``holds`` is true, else raise :class:`ClaimFailed`.

    ``holds`` must be a plain or NumPy boolean (a truth value computed from the numbers), never an
    array or a number, so that a claim cannot pass by accident through Python's truthiness.
    ``evidence`` names the numbers behind the claim, formatted stably (fixed significant digits)
    so that nbval compares the same text on every machine.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"statement: expected a non-empty sentence, got {statement!r}")
    if not isinstance(evidence, str):
        raise ValueError(f"evidence: expected a string naming the numbers, got {type(evidence).__name__}")
    if not isinstance(holds, (bool, np.bool_)):
        kind = "a number" if isinstance(holds, numbers.Number) else type(holds).__name__
        raise ValueError(f"holds: expected a bool computed from the evidence, got {kind} ({holds!r})")
    text = statement.strip() + (f" ({evidence.strip()})" if evidence.strip() else "")
    if not holds:
        raise ClaimFailed(f"claim does not hold: {text}")
    print(MARK + text)
