"""What the command line prints: tables, JSON, located problems, and warnings in the spec's terms."""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .errors import SpecError, SpecWarning
from .library import generated_warning_text


@contextlib.contextmanager
def reporting_warnings() -> Iterator[None]:
    """Show SpecWarnings as `warning: ...` lines: they address the spec author, not a developer.

    Only SpecWarnings are forced to "always", so library warnings hidden by default stay hidden.
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SpecWarning)
            yield
    finally:
        shown: set[str] = set()  # the load-time dry run and the env itself may raise the same warning
        for w in caught:
            if issubclass(w.category, SpecWarning):
                if str(w.message) not in shown:
                    print(f"warning: {w.message}", file=sys.stderr)
                shown.add(str(w.message))
            elif (text := generated_warning_text(w.message, w.filename, w.lineno)) is not None:
                if text not in shown:  # NumPy's warnings from generated code, at the spec's line
                    print(f"warning: {text}", file=sys.stderr)
                shown.add(text)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def section(
    title: str | None, rows: Iterable[Sequence[Any]], header: Sequence[str] | None = None, indent: str = "  "
) -> None:
    """A titled table in left-aligned columns, so values compare down a column; an empty one says so."""
    cells = [["-" if c is None else f"{c:g}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    if cells and header:
        cells.insert(0, list(header))
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))] if cells else []
    lines = [(indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip() for row in cells]
    print("\n".join(([title] if title else []) + (lines or [indent + "(none)"])))


def dump_json(obj: Any) -> None:
    """JSON on stdout; numpy scalars (and anything odd) degrade to plain values, not a crash."""
    print(json.dumps(obj, indent=2, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def space_line(space: Any) -> str:
    """A space and its named groups on one line: the indices a network's readout must use."""
    return f"{space}  " + " ".join(f"{name}={index}" for name, index in space.name.items())


def print_problems(exc: SpecError) -> None:
    """One line per problem, each `FILE:LINE:COL: path: message`, which editors can jump to."""
    for line in [str(p) for p in exc.problems] or [f"taskspec: {exc}"]:
        print(line, file=sys.stderr)
