"""Variants without copying: a spec may `extends:` another, apply `modifiers:`, and override parts.

Mapping sections (params, rewards, observation, action, session, trial, state, periods, define)
are merged entry by entry: the child's entries replace or add to the parent's, in the parent's
order, and an entry set to null (`name: ~`) removes the parent's entry. A new period can be
placed relative to inherited ones with `insert: {before: p}` or `insert: {after: p}`.

List sections (inputs, target, outcomes, timeout) are replaced whole, unless the child's list
names an entry of the parent's (`name: x`) or places one with `insert`: then it patches the parent's. An entry
with a parent's name replaces the keys it writes (`{name: x, remove: true}` removes the entry);
any other entry is added at the end, or where its `insert: {before: y}` / `{after: y}` puts it.

In a replaced trial variable or period duration, and in a patched entry's keys, the name
`inherited` stands for the parent's expression there: `rotate(inherited, 1)` wraps it.

`modifiers: [m1, m2]` merges bundled (or local) spec fragments over the parent in order, before
the child's own keys: reusable transforms such as Mod-Cog's sequence and integration variants.

Every other key is replaced whole; a child whose `outcomes` replace the parent's (rather than
patch them) and that writes no `response` drops the parent's `response` too (the rules it stands
for are outcome rules). Each node keeps the file and position it was written at, so
an error in an inherited part points at the parent and an error in an override at the child.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import Problem, SpecError
from .expressions import MAX_EXPRESSION_CHARS
from .loader import Document, Path_

MERGED_SECTIONS = {"params", "rewards", "observation", "action", "session", "trial", "state", "periods", "define"}
LIST_SECTIONS = {"inputs", "target", "regression", "outcomes", "timeout"}
INHERITING_SECTIONS = {"trial", "periods"}  # entries whose expression may wrap the parent's as `inherited`
NOT_IN_MODIFIERS = ("task", "extends", "modifiers", "description", "reference", "tags")
MAX_DEPTH = 8
MAX_MODIFIERS = 16
INHERITED = "inherited"

Reader = Callable[..., Document]  # read(reference, child_dir, modifier=False) -> the referenced document


def resolve_extends(doc: Document, read: Reader, chain: tuple[str, ...] = ()) -> Document:
    """`doc` with its parent and modifiers merged in; `read(reference, child_dir)` loads a document."""
    if not isinstance(doc.data, dict) or ("extends" not in doc.data and "modifiers" not in doc.data):
        return doc
    if len(chain) >= MAX_DEPTH or doc.file in chain:
        what = "a cycle" if doc.file in chain else f"more than {MAX_DEPTH} levels"
        key = "extends" if "extends" in doc.data else "modifiers"
        raise SpecError([doc.problem((key,), f"extends forms {what}: {' -> '.join((*chain, doc.file))}")])
    base = Document(doc.file, {}, {})
    if "extends" in doc.data:
        reference = doc.data["extends"]
        if not isinstance(reference, str) or not reference.strip():
            raise SpecError([doc.problem(("extends",), "extends needs a bundled task name or a path to a spec file")])
        base = resolve_extends(_read(doc, ("extends",), reference, read, False), read, (*chain, doc.file))
    for path, reference in _modifier_references(doc):
        modifier = _read(doc, path, reference, read, True)
        problems = [
            modifier.problem((key,), f"a modifier cannot set '{key}'; the task that applies it does")
            for key in NOT_IN_MODIFIERS
            if isinstance(modifier.data, dict) and key in modifier.data
        ]
        if not isinstance(modifier.data, dict):
            problems.append(modifier.problem((), "a modifier must be a mapping of spec sections"))
        if problems:
            raise SpecError(problems)
        modifier.data.pop("doc", None)
        base = _merge(base, modifier)
    return _merge(base, doc)


def _modifier_references(doc: Document) -> list[tuple[Path_, str]]:
    references = doc.data.get("modifiers", [])
    if not isinstance(references, list) or not all(isinstance(r, str) and r.strip() for r in references):
        raise SpecError([doc.problem(("modifiers",), "modifiers needs a list of bundled modifier names or paths")])
    if len(references) > MAX_MODIFIERS:
        raise SpecError([doc.problem(("modifiers",), f"at most {MAX_MODIFIERS} modifiers are allowed")])
    return [(("modifiers", i), r) for i, r in enumerate(references)]


def _read(doc: Document, path: Path_, reference: str, read: Reader, modifier: bool) -> Document:
    try:
        return read(reference, Path(doc.file).parent, modifier=modifier)
    except SpecError as exc:
        verb = "apply modifier" if modifier else "extend"
        located = [
            doc.problem(path, f"cannot {verb} '{reference}': {p.message}") if not p.line else p for p in exc.problems
        ]
        raise SpecError(located) from None


class _Merge:
    """The parent's data and marks, with the child's merged over them."""

    def __init__(self, parent: Document, child: Document):
        self.child = child
        self.data: dict[str, Any] = copy.deepcopy(parent.data) if isinstance(parent.data, dict) else {}
        self.marks = dict(parent.marks)
        self.origins = {path: parent.origins.get(path, parent.file) for path in parent.marks}
        self.marks[()] = child.marks.get((), self.marks.get((), (1, 1, None)))
        self.origins.pop((), None)
        self.problems: list[Problem] = []

    def drop(self, prefix: Path_) -> None:
        for path in [p for p in self.marks if p[: len(prefix)] == prefix]:
            self.marks.pop(path)
            self.origins.pop(path, None)

    def take(self, prefix: Path_, into: Path_ | None = None) -> None:
        """The child's marks under `prefix` (moved to `into`), replacing what was there."""
        into = prefix if into is None else into
        self.drop(into)
        for path, mark in self.child.marks.items():
            if path[: len(prefix)] == prefix:
                self.marks[into + path[len(prefix) :]] = mark
                self.origins.pop(into + path[len(prefix) :], None)

    def fail(self, path: Path_, message: str) -> None:
        self.problems.append(self.child.problem(path, message))

    def mapping(self, key: str, value: dict[str, Any]) -> None:
        section = self.data[key]
        for name, entry in value.items():
            if entry is None:  # `name: ~` removes the parent's entry
                section.pop(name, None)
                self.drop((key, name))
                continue
            if key in INHERITING_SECTIONS and name in section:
                entry = self.inherit(entry, section[name], (key, name))
            where = _insertion(entry)
            if where is not None:
                entry = {k: v for k, v in entry.items() if k != "insert"}
                section.pop(name, None)
                keys = self.place(list(section), name, where, (key, name, "insert"))
                self.data[key] = section = {k: entry if k == name else section[k] for k in keys}
            else:
                section[name] = entry
            self.take((key, name))
        self.marks[(key,)] = self.child.marks.get((key,), self.marks.get((key,), (0, 0, None)))

    def place(self, names: list[str], new: str, where: tuple[str, Any], path: Path_) -> list[str]:
        """`names` with `new` inserted before or after the entry `where` names."""
        side, anchor = where
        if side not in ("before", "after") or not isinstance(anchor, str):
            self.fail(path, "insert takes one of {before: name} or {after: name}")
            return [*names, new]
        if anchor not in names:
            self.fail((*path, side), f"cannot insert {side} '{anchor}': no such inherited entry")
            return [*names, new]
        i = names.index(anchor) + (side == "after")
        return [*names[:i], new, *names[i:]]

    def patch_list(self, key: str, value: list[Any]) -> None:
        parent = self.data[key]
        names = [e.get("name") if isinstance(e, dict) else None for e in parent]
        # (source, index, entry): source "parent" or "child"; the order of the merged list
        merged: list[tuple[str, int, Any]] = [("parent", i, e) for i, e in enumerate(parent)]
        for j, entry in enumerate(value):
            name = entry.get("name") if isinstance(entry, dict) else None
            position = next((k for k, (src, i, _) in enumerate(merged) if src == "parent" and names[i] == name), None)
            if name is not None and position is not None:
                src, i, old = merged[position]
                if entry.get("remove") is True:
                    merged.pop(position)
                    continue
                patched = dict(old)
                for field, new in entry.items():
                    patched[field] = self.inherit(new, old.get(field), (key, j, field)) if field in old else new
                merged[position] = ("patch", j, (i, patched))
                continue
            if isinstance(entry, dict) and "remove" in entry:
                self.fail((key, j, "remove"), f"no inherited entry named '{name}' to remove")
                continue
            where = _insertion(entry)
            if where is not None:
                entry = {k: v for k, v in entry.items() if k != "insert"}
                labels = [_label(m) for m in merged]
                at = self.place(labels, "\0new", where, (key, j, "insert")).index("\0new")
                merged.insert(at, ("child", j, entry))
            else:
                merged.append(("child", j, entry))
        self.data[key] = []
        old_marks = {p: m for p, m in self.marks.items() if p[:1] == (key,)}
        old_origins = {p: o for p, o in self.origins.items() if p[:1] == (key,)}
        self.drop((key,))
        for k, (src, i, entry) in enumerate(merged):
            if src == "patch":
                i, entry = entry
            if src in ("parent", "patch"):
                for p, m in old_marks.items():
                    if p[:2] == (key, i):
                        self.marks[(key, k) + p[2:]] = m
                        if p in old_origins:
                            self.origins[(key, k) + p[2:]] = old_origins[p]
            if src == "patch":
                for field in entry:
                    if (key, _child_index(merged, k), field) in self.child.marks:
                        self.take((key, _child_index(merged, k), field), (key, k, field))
            if src == "child":
                self.take((key, i), (key, k))
            self.data[key].append(entry)
        self.marks[(key,)] = self.child.marks.get((key,), (0, 0, None))

    def inherit(self, new: Any, old: Any, path: Path_) -> Any:
        """`new` with the name `inherited` standing for the parent's expression `old`."""
        if not isinstance(new, str) or INHERITED not in new:
            return new
        if len(new) > MAX_EXPRESSION_CHARS:
            return new  # the expression checker refuses it where it is written
        too_long = (
            f"with the inherited expression put in for '{INHERITED}' the expression is longer than "
            f"{MAX_EXPRESSION_CHARS} characters (each level of the extends chain wraps the one before)"
        )
        if isinstance(old, str) and len(old) > MAX_EXPRESSION_CHARS:  # a long chain of wrappers grew it
            self.fail(path, too_long)
            return 0  # refused here; a stand-in that raises nothing more
        try:
            wrapped = self._wrap(new, old, path)
        except (RecursionError, MemoryError):
            self.fail(path, "the expression is nested too deeply")
            return new
        if isinstance(wrapped, str) and len(wrapped) > MAX_EXPRESSION_CHARS and wrapped != new:
            self.fail(path, too_long)
            return 0
        return wrapped

    def _wrap(self, new: str, old: Any, path: Path_) -> Any:
        try:
            tree = ast.parse(new.strip(), mode="eval")
        except SyntaxError:
            return new  # the expression checker reports it where it is written
        if not any(isinstance(n, ast.Name) and n.id == INHERITED for n in ast.walk(tree)):
            return new
        if isinstance(old, (int, float)) and not isinstance(old, bool):
            inner: ast.expr = ast.Constant(old)
        else:
            try:
                inner = ast.parse(str(old).strip(), mode="eval").body if isinstance(old, str) else None  # type: ignore[assignment]
            except SyntaxError:
                inner = None  # type: ignore[assignment]
        if inner is None:
            self.fail(path, f"'{INHERITED}' stands for the inherited expression here, but there is none to wrap")
            return new

        class Substitute(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                return copy.deepcopy(inner) if node.id == INHERITED else node

        return ast.unparse(Substitute().visit(tree))


def _insertion(entry: Any) -> tuple[str, Any] | None:
    if not isinstance(entry, dict) or "insert" not in entry:
        return None
    where = entry["insert"]
    if isinstance(where, dict) and len(where) == 1:
        return next(iter(where.items()))
    return ("", None)


def _label(item: tuple[str, int, Any]) -> str:
    entry = item[2][1] if item[0] == "patch" else item[2]
    name = entry.get("name") if isinstance(entry, dict) else None
    return name if isinstance(name, str) else f"\0{item[0]}{item[1]}"


def _child_index(merged: list[tuple[str, int, Any]], k: int) -> int:
    return merged[k][1]


def _patches(parent: Any, child: Any) -> bool:
    """Whether the child's list patches the parent's instead of replacing it: one of its entries names an
    entry of the parent's, or is placed with `insert`, or removes one."""
    if not isinstance(parent, list) or not isinstance(child, list):
        return False
    names = {e.get("name") for e in parent if isinstance(e, dict) and isinstance(e.get("name"), str)}
    return any(isinstance(e, dict) and (e.get("name") in names or "insert" in e or "remove" in e) for e in child)


def _merge(parent: Document, child: Document) -> Document:
    merge = _Merge(parent, child)
    for key, value in child.data.items():
        if key in ("extends", "modifiers"):
            continue
        if key in MERGED_SECTIONS and isinstance(value, dict) and isinstance(merge.data.get(key), dict):
            merge.mapping(key, value)
        elif key in LIST_SECTIONS and _patches(merge.data.get(key), value):
            merge.patch_list(key, value)
        else:
            merge.data[key] = value
            merge.take((key,))
    outcomes = child.data.get("outcomes")
    replaced = "outcomes" in child.data and not _patches(parent.data.get("outcomes"), outcomes)
    if replaced and "response" not in child.data:  # its own rules replace all the parent's
        merge.data.pop("response", None)
        merge.take(("response",))
    if merge.problems:
        raise SpecError(merge.problems)
    return Document(child.file, merge.data, merge.marks, merge.origins)
