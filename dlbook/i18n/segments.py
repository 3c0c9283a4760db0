"""A page's MyST markdown cut into the messages a translator translates and the structure
around them, so that a translation can be put back exactly where the English was.

A message is one paragraph, one list item (without its marker), one heading (without its
``#``), one table row, or the title argument of a directive. Everything else stays verbatim:
display math, code fences, directive fences and options, labels, and any text with no words in
it (a table separator, a row of numbers). ``render(parse(text), lambda m: m) == text`` for every
text: the cut loses nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, List, Union

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}(?P<space>\s*)(?P<arg>.*)$")
_OPTION = re.compile(r"^:[\w-]+:")
_HEADING = re.compile(r"^(#{1,6}[ \t]+)(.*)$")
_ITEM = re.compile(r"^([-*+]|\d{1,3}[.)])([ \t]+)\S")
_LABEL = re.compile(r"^\([^)\s]+\)=\s*$")
# Directives whose argument is a title a reader sees, and those whose body is not prose.
_TITLED = {"admonition", "exercise", "dropdown", "topic", "sidebar"}
_VERBATIM_BODY = {"math", "code", "code-block", "code-cell", "bibliography", "raw",
                  "eval-rst", "toctree", "tableofcontents", "glue", "image", "figure"}
# Math, code and roles carry no words to translate; a text with no word outside them is verbatim.
_NOT_WORDS = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\{[\w:-]+\}`[^`]*`|`[^`]*`|https?://\S+", re.S)
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Message:
    """One translatable text and how its lines are indented in the page."""
    text: str
    first_prefix: str = ""
    continuation_prefix: str = ""


Piece = Union[str, Message]  # a str is a verbatim run of whole lines


def has_words(text: str) -> bool:
    """Whether ``text`` has a word outside math, code and roles (else nothing to translate)."""
    return bool(_WORD.search(_NOT_WORDS.sub(" ", text)))


def _closing(lines: List[str], start: int, fence: str) -> int:
    """Index of the line that closes the fence opened at ``start`` (len(lines) if none)."""
    pattern = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    for k in range(start + 1, len(lines)):
        if pattern.match(lines[k]):
            return k
    return len(lines)


def _math_end(lines: List[str], start: int) -> int:
    """Index of the last line of the display-math block opened at ``start``."""
    if "$$" in lines[start].strip()[2:]:
        return start
    for k in range(start + 1, len(lines)):
        if "$$" in lines[k]:
            return k
    return len(lines) - 1


def _starts_block(line: str) -> bool:
    """Whether ``line`` ends the paragraph before it. A line starting with ``|`` does not: a
    table cannot interrupt a paragraph, and a wrapped ``$|x|$`` may start a line."""
    return bool(_FENCE.match(line) or line.startswith("$$") or _HEADING.match(line)
                or _ITEM.match(line) or _LABEL.match(line) or line.startswith("<!--"))


def _message(lines: List[str], first_prefix: str, cont: str) -> Piece:
    body = [lines[0][len(first_prefix):]] + [l[len(cont):] if l.strip() else l
                                             for l in lines[1:]]
    text = "\n".join(body)
    if not has_words(text):
        return "\n".join(lines)
    return Message(text, first_prefix, cont)


def _item_end(lines: List[str], start: int) -> int:
    k = start + 1
    while k < len(lines) and lines[k].strip():
        line = lines[k]
        if _ITEM.match(line) or (not line[0].isspace() and _starts_block(line)):
            break
        k += 1
    return k


def _parse_lines(lines: List[str]) -> List[Piece]:
    pieces: List[Piece] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if not line.strip() or _LABEL.match(line):
            pieces.append(line)
            i += 1
        elif line.startswith("<!--"):
            end = next((k for k in range(i, len(lines)) if "-->" in lines[k]), len(lines) - 1)
            pieces.append("\n".join(lines[i:end + 1]))
            i = end + 1
        elif line.startswith("$$"):
            end = _math_end(lines, i)
            pieces.append("\n".join(lines[i:end + 1]))
            i = end + 1
        elif fence:
            i = _parse_fence(lines, i, fence, pieces)
        elif _HEADING.match(line):
            pieces.append(_message([line], _HEADING.match(line).group(1), ""))
            i += 1
        elif line.startswith("|"):
            pieces.append(_message([line], "", ""))
            i += 1
        elif _ITEM.match(line):
            end = _item_end(lines, i)
            marker = _ITEM.match(line)
            first = marker.group(1) + marker.group(2)
            rest = [l for l in lines[i + 1:end] if l.strip()]
            indent = min((len(l) - len(l.lstrip(" ")) for l in rest), default=len(first))
            pieces.append(_message(lines[i:end], first, " " * indent))
            i = end
        else:
            end = i + 1
            while end < len(lines) and lines[end].strip() and not _starts_block(lines[end]):
                end += 1
            pieces.append(_message(lines[i:end], "", ""))
            i = end
    return pieces


def _parse_fence(lines, i, fence, pieces) -> int:
    """Append the pieces of the fenced block opening at line ``i``; return the next line."""
    end = _closing(lines, i, fence.group("fence"))
    directive = _DIRECTIVE.match(fence.group("info").strip())
    if directive is None or directive.group("name") in _VERBATIM_BODY:
        pieces.append("\n".join(lines[i:end + 1]))
        return end + 1
    name, arg = directive.group("name"), directive.group("arg")
    if arg and (name in _TITLED or name.startswith("prf:")) and has_words(arg):
        pieces.append(Message(arg, lines[i][:len(lines[i]) - len(arg)], ""))
    else:
        pieces.append(lines[i])
    body = i + 1
    while body < end and _OPTION.match(lines[body]):
        pieces.append(lines[body])
        body += 1
    pieces.extend(_parse_lines(lines[body:end]))
    if end < len(lines):
        pieces.append(lines[end])
    return end + 1


def parse(text: str) -> List[Piece]:
    """The pieces of ``text``, in order; joined by newlines they give ``text`` back."""
    return _parse_lines(text.split("\n"))


def messages(text: str) -> List[str]:
    """The translatable texts of ``text``, in order of appearance (repeats included)."""
    return [p.text for p in parse(text) if isinstance(p, Message)]


def render(pieces: List[Piece], translate: Callable[[str], str]) -> str:
    """The pieces joined back into markdown, each message replaced by ``translate(message)``."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        lines = translate(piece.text).split("\n")
        out.append(piece.first_prefix + lines[0])
        out.extend(piece.continuation_prefix + l if l.strip() else l for l in lines[1:])
    return "\n".join(out)


def translate_markdown(text: str, translate: Callable[[str], str]) -> str:
    """``text`` with every message replaced by its translation, the structure untouched."""
    return render(parse(text), translate)
