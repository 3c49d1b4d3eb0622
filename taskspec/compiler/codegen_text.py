"""Text for generated source: literals, docstrings, spec locations, and the methods' layout.

Spec text only ever enters generated source through `repr` (`literal`, `docstring`); each
marked statement's spec location goes into a table of data (`Locations`), never into code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from . import ir


def literal(value: Any) -> str:
    """repr, except that non-finite floats become expressions that evaluate (repr gives `nan`, a bad name),
    and long text becomes adjacent literals in parentheses, so generated lines stay short."""
    if isinstance(value, str) and len(value) > 70:
        return "(\n" + "".join(f"            {part!r}\n" for part in pieces(value)) + "        )"
    if isinstance(value, float) and not math.isfinite(value):
        return "float('nan')" if math.isnan(value) else ("float('inf')" if value > 0 else "float('-inf')")
    if isinstance(value, (list, tuple)):
        inner = ", ".join(literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def pieces(text: str, width: int = 70) -> list[str]:
    """`text` cut at spaces into pieces of about `width` characters, which join back into it."""
    parts, line = [], ""
    for word in re.findall(r"\S+\s*|\s+", text):
        if line and len(line) + len(word) > width:
            parts.append(line)
            line = ""
        line += word
    return [*parts, line] if line or not parts else parts


def dict_lines(mapping: dict[str, Any], indent: int = 4) -> str:
    """A dict literal with one entry per line, so generated lines stay short."""
    if not mapping:
        return "{}"
    pad = " " * indent
    return "{\n" + "".join(f"{pad}    {k!r}: {literal(v)},\n" for k, v in mapping.items()) + pad + "}"


def loss_literal(loss: ir.LossIR | None) -> str:
    """The loss weights as the runtime reads them (`TaskInfo.loss`): a dict of checked names and numbers."""
    if loss is None:
        return "None"
    return literal(
        {
            "weights": dict(loss.weights),
            "default": loss.default,
            "grace": dict(loss.grace),
            "groups": dict(loss.groups),
        }
    )


def docstring(text: str) -> str:
    """The class docstring, assigned to `__doc__`: one `repr` literal per line of the description.

    Spec text only ever enters the source through `repr`; the adjacent literals form one string.
    """
    lines = [piece for line in text.splitlines(keepends=True) for piece in pieces(line, 90)] or [""]
    if len(lines) == 1:
        return "__doc__ = " + repr(lines[0])
    return "__doc__ = (\n" + "".join(f"        {line!r}\n" for line in lines) + "    )"


class Locations:
    """The spec location of each marked statement, collected while methods are built."""

    MARK = re.compile(r"# see _SPEC_LOCATIONS\[(\d+)\]$")

    def __init__(self) -> None:
        self.found: list[ir.Location] = []

    def mark(self, where: ir.Location) -> str:
        self.found.append(where)
        return f"# see _SPEC_LOCATIONS[{len(self.found) - 1}]"

    def table(self, source: str) -> str:
        """The module's location table: (generated line, YAML path, file, line, column) per mark."""
        lines = {}
        for number, line in enumerate(source.splitlines(), start=1):
            mark = self.MARK.search(line)
            if mark:
                lines[int(mark.group(1))] = number
        rows = "".join(f"    {literal((lines[i], w.path, w.file, w.line, w.col))},\n" for i, w in enumerate(self.found))
        return (
            "\n\n# Where the statements above come from in the spec, for error messages: the line of each\n"
            "# 'see' comment, then the YAML path, file, line and column. Data, never code.\n"
            f"_SPEC_LOCATIONS = (\n{rows})\n"
        )


@dataclass
class Method:
    name: str
    args: str
    body: list[str] = field(default_factory=list)
