"""Variants without copying: a spec may `extends:` another and override parts of it.

Mapping sections (params, rewards, observation, action, session, trial, state, periods)
are merged entry by entry: the child's entries replace or add to the parent's, in the
parent's order, and an entry set to null (`name: ~`) removes the parent's entry. Every
other key, lists included (inputs, target, outcomes, timeout), is replaced
whole; a child that writes `outcomes` but no `response` drops the parent's `response` too
(the rules it stands for are outcome rules). Each node keeps the file and position it was written at, so an error in an
inherited part points at the parent and an error in an override points at the child.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from ..errors import SpecError
from .loader import Document, Path_

MERGED_SECTIONS = {"params", "rewards", "observation", "action", "session", "trial", "state", "periods"}
MAX_DEPTH = 8


def resolve_extends(doc: Document, read: Callable[[str, Path], Document], chain: tuple[str, ...] = ()) -> Document:
    """`doc` with its parents merged in; `read(reference, child_dir)` loads a parent document."""
    if not isinstance(doc.data, dict) or "extends" not in doc.data:
        return doc
    reference = doc.data["extends"]
    if not isinstance(reference, str) or not reference.strip():
        raise SpecError([doc.problem(("extends",), "extends needs a bundled task name or a path to a spec file")])
    if len(chain) >= MAX_DEPTH or doc.file in chain:
        what = "a cycle" if doc.file in chain else f"more than {MAX_DEPTH} levels"
        raise SpecError([doc.problem(("extends",), f"extends forms {what}: {' -> '.join((*chain, doc.file))}")])
    try:
        parent = read(reference, Path(doc.file).parent)
    except SpecError as exc:
        located = [
            doc.problem(("extends",), f"cannot extend '{reference}': {p.message}") if not p.line else p
            for p in exc.problems
        ]
        raise SpecError(located) from None
    parent = resolve_extends(parent, read, (*chain, doc.file))
    return _merge(parent, doc)


def _merge(parent: Document, child: Document) -> Document:
    data = copy.deepcopy(parent.data) if isinstance(parent.data, dict) else {}
    marks = dict(parent.marks)
    origins = {path: parent.origins.get(path, parent.file) for path in parent.marks}
    marks[()] = child.marks.get((), marks.get((), (1, 1, None)))
    origins.pop((), None)

    def take(prefix: Path_) -> None:
        """Replace everything under `prefix` by the child's nodes."""
        for path in [p for p in marks if p[: len(prefix)] == prefix]:
            marks.pop(path)
            origins.pop(path, None)
        for path, mark in child.marks.items():
            if path[: len(prefix)] == prefix:
                marks[path] = mark

    for key, value in child.data.items():
        if key == "extends":
            continue
        if key in MERGED_SECTIONS and isinstance(value, dict) and isinstance(data.get(key), dict):
            for name, entry in value.items():
                if entry is None:  # `name: ~` removes the parent's entry
                    data[key].pop(name, None)
                    take((key, name))
                    for path in [p for p in marks if p[:2] == (key, name)]:
                        marks.pop(path)
                    continue
                data[key][name] = entry
                take((key, name))
            marks[(key,)] = child.marks.get((key,), marks.get((key,), (0, 0, None)))
        else:
            data[key] = value
            take((key,))
    if "outcomes" in child.data and "response" not in child.data:  # its own rules replace all the parent's
        data.pop("response", None)
        take(("response",))
    return Document(child.file, data, marks, origins)
