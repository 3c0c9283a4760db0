"""Worksheets: a catalogue's open entries as plain text a translator (or a reviewer) edits in
any editor, then imports back. A ``.po`` file escapes every quote and newline; a worksheet
shows the English and the translation exactly as the page will.

    [[[ en 12 ]]]
    The English message, exactly as extracted (do not edit).
    [[[ zh ]]]
    The translation (an old one, if the entry is fuzzy).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import List, Tuple

from dlbook.i18n import catalog as cat

_MARK = re.compile(r"^\[\[\[ (en \d+|zh) \]\]\]$", re.M)


def export(domain: str, everything: bool = False, root: Path = cat.ROOT) -> str:
    """The entries of ``domain`` that need work (all of them with ``everything``)."""
    catalog = cat.load(domain, root)
    blocks = [f"# worksheet for {domain}: translate below each [[[ zh ]]] marker, then\n"
              f"# python -m dlbook.i18n import THIS_FILE\n"]
    for number, message in enumerate(m for m in catalog if m.id):
        if everything or not message.string or message.fuzzy:
            blocks.append(f"[[[ en {number} ]]]\n{message.id}\n[[[ zh ]]]\n"
                          f"{message.string}\n")
    return f"[[[ domain {domain} ]]]\n" + "\n".join(blocks)


def parse(text: str) -> Tuple[str, List[Tuple[str, str]]]:
    """``(domain, [(english, translation), ...])`` of a worksheet."""
    head = re.match(r"^\[\[\[ domain (\S+) \]\]\]\n", text)
    if not head:
        raise ValueError("worksheet: the first line must be '[[[ domain <name> ]]]'")
    parts = _MARK.split(text[head.end():])
    pairs = []
    for k in range(1, len(parts) - 3, 4):
        if not (parts[k].startswith("en ") and parts[k + 2] == "zh"):
            raise ValueError(f"worksheet: expected '[[[ en N ]]]' then '[[[ zh ]]]' near "
                             f"{parts[k + 1][:60]!r}")
        english = parts[k + 1].strip("\n")
        chinese = parts[k + 3].strip("\n")
        pairs.append((english, chinese))
    return head.group(1), pairs


def import_text(text: str, root: Path = cat.ROOT) -> List[str]:
    """Write the worksheet's translations into its catalogue (clearing *fuzzy*); return the
    problems found (an English text not in the catalogue, a translation that lost math, ...).
    Entries with problems are still written, so nothing typed is lost."""
    domain, pairs = parse(text)
    catalog = cat.load(domain, root)
    problems = []
    for english, chinese in pairs:
        entry = catalog.get(english)
        if entry is None:
            problems.append(f"{domain}: English text not in the catalogue (edited?): "
                            f"{english[:70]!r}")
            continue
        if not chinese:
            continue
        entry.string = chinese
        entry.flags.discard("fuzzy")
        problems += [f"{domain}: {p}: {english[:60]!r}"
                     for p in cat.translation_problems(english, chinese)]
    cat.save(catalog, domain, root)
    return problems
