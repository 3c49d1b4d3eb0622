"""One error type for everything a spec author can get wrong.

A `SpecError` carries every problem found in one pass, each located by file, line,
column and YAML path, so an author fixes a spec in one edit instead of many runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located message; `line` and `column` are 1-based, 0 when unknown."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        path, message = _printable(self.path), _printable(self.message)
        return f"{where}: {path}: {message}" if path else f"{where}: {message}"


def _printable(text: str) -> str:
    """Control characters (a key such as '\\x1e' in a spec) escaped, so a problem stays one line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class SpecError(Exception):
    """A spec (or a parameter override) is wrong; `problems` lists every finding."""

    def __init__(self, problems: Iterable[Problem]):
        # A total order (the path breaks ties): the order of a set varies between processes with string hashing,
        # and a pickled error must list its problems in the same order in every process.
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.message, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[SpecError], tuple[list[Problem]]]:
        # Exceptions pickle as (class, self.args); args here is the message, not the problems, so without
        # this an error raised in a worker process (multiprocessing, Ray) could not reach the caller.
        return type(self), (list(self.problems),)


class SpecWarning(UserWarning):
    """Something legal but probably unintended, e.g. a duration rounded to `dt`."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean ...?)' suffix when some candidate is close to `name`."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
