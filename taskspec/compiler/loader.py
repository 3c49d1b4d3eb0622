"""Stage 1: YAML text to a plain tree that remembers where every node came from.

Only YAML's plain types are built (PyYAML's safe constructor, no Python tags), and the
walk over the node graph is bounded so an alias bomb or a deeply nested document is
refused before it can eat memory. Numbers and booleans are read as YAML 1.2 does (`1e-3`
is a float, not text as in YAML 1.1; `on`, `off`, `yes` and `no` are text, only `true` and
`false` are booleans) and numbers must fit 64 bits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, SpecError

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 50_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# YAML 1.2 floats: an exponent needs no dot and no sign (`1e-3`, `1E5`), unlike PyYAML's YAML 1.1 rule.
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                         |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
                         |[0-9][0-9_]*[eE][-+]?[0-9]+
                         |\.(?:inf|Inf|INF))
                      |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_FLOAT_TAG = "tag:yaml.org,2002:float"
# YAML 1.2 booleans: only true and false. YAML 1.1 (PyYAML's default) also reads on, off, yes and
# no as booleans, so `where: on` would silently name the group True; here they stay text.
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BOOL_TAG = "tag:yaml.org,2002:bool"


class SpecLoader(yaml.SafeLoader):
    """Safe loading with YAML 1.2 floats and a nesting bound checked while composing.

    PyYAML composes nodes recursively, so a document nested a few hundred levels deep would
    exhaust Python's recursion limit; here each level is counted before it is descended into.
    """

    yaml_implicit_resolvers = {
        first: [
            (tag, _BOOL if tag == _BOOL_TAG else regexp)
            for tag, regexp in resolvers
            if tag != _FLOAT_TAG and (tag != _BOOL_TAG or first in "tTfF")
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:  # the document itself is level 0 of the paths
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


for _first in "-+0123456789.":  # first in each list: tried before the int resolver, as PyYAML orders them
    SpecLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(0, (_FLOAT_TAG, _FLOAT))


class _TooDeep(Exception):
    def __init__(self, mark: Any):
        super().__init__()
        self.mark = mark


class ValueParseError(yaml.YAMLError, ValueError):
    """A `--set` value that is not a plain YAML value (a YAMLError, so callers catching those see it)."""


def parse_value(text: str) -> Any:
    """A command-line value read like a value in a spec: `1e-3` is a float, `[1, 2]` a list.

    Refuses what a spec refuses (tags, numbers beyond 64 bits, deep nesting) with a ValueParseError.
    """
    try:
        doc = load_text(text, "<value>")
    except SpecError as exc:
        if any(p.message == "the file is empty" for p in exc.problems):
            return None
        raise ValueParseError("; ".join(p.message for p in exc.problems)) from None
    return doc.data


Path_ = tuple[str | int, ...]
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")}


@dataclass
class Document:
    """A loaded YAML file: its data plus the (line, column, quote) of every node."""

    file: str
    data: Any
    marks: dict[Path_, tuple[int, int, str | None]] = field(default_factory=dict)
    origins: dict[Path_, str] = field(default_factory=dict)  # nodes inherited from another file (`extends`)

    def file_of(self, path: Path_) -> str:
        """The file a node was written in: this one, or a spec it extends."""
        path = tuple(path)
        while path not in self.marks and path:
            path = path[:-1]
        return self.origins.get(path, self.file)

    def where(self, path: Path_) -> tuple[int, int, str | None]:
        """Position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (0, 0, None))

    def problem(self, path: Path_, message: str, offset: tuple[int, int] | None = None) -> Problem:
        """A located problem; `offset` (line, col) points inside a scalar, e.g. an expression."""
        line, col, style = self.where(path)
        if offset is not None and line:
            extra_line, extra_col = offset
            if extra_line:
                line, col = line + extra_line, extra_col + 1
            else:
                col += extra_col + (1 if style in ("'", '"') else 0)
        return Problem(self.file_of(path), line, col, dotted(path), message)


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_text(text: str, file: str = "<string>") -> Document:
    """Parse YAML text into a located `Document`; raises `SpecError` on bad YAML."""
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise SpecError([Problem(file, 1, 1, "", f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        node = yaml.compose(text, Loader=SpecLoader)
    except _TooDeep as exc:
        raise SpecError(
            [Problem(file, exc.mark.line + 1, exc.mark.column + 1, "", f"nesting deeper than {MAX_DEPTH} levels")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML cannot hold: locate it in the text
            before = text[: exc.position]
            line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        reason = (getattr(exc, "problem", None) or str(exc)).splitlines()[0]
        raise SpecError([Problem(file, line, col, "", f"invalid YAML: {reason}")]) from None
    doc = Document(file, None)
    if node is None:
        raise SpecError([Problem(file, 1, 1, "", "the file is empty")])
    builder = _Builder(doc)
    doc.data = builder.build(node, ())
    if builder.problems:
        raise SpecError(builder.problems)
    return doc


def read_file(path: Path) -> str:
    """A spec file's text, its size checked with `stat` before it is read."""
    file = str(path)
    try:
        if not path.is_file():  # a device such as /dev/zero reports size 0 and never ends
            raise SpecError([Problem(file, 0, 0, "", "not a regular file")])
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SpecError([Problem(file, 1, 1, "", f"file is larger than {MAX_FILE_BYTES} bytes")])
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise SpecError([Problem(file, 0, 0, "", f"cannot read the file: {reason}")]) from None


def number_problem(value: Any, text: str = "") -> str | None:
    """Why a number written in a spec does not fit numpy's int64 or float64, or None.

    Beyond int64 numpy would make slow arrays of Python objects (and a value squaring itself
    would grow without end); beyond float64 a literal silently becomes infinity.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return f"the whole number {text or value} is outside the 64-bit range (-2**63 to 2**63-1)"
    if isinstance(value, float) and math.isinf(value) and "inf" not in text.lower():
        return f"the number {text} is outside the 64-bit float range (about +-1.8e308)"
    return None


class _Builder:
    """Turns a composed node graph into dicts, lists and scalars, recording marks."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.constructor = SpecLoader("")
        self.nodes = 0
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node, path: Path_, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.doc.file, mark.line + 1, mark.column + 1, dotted(path), message))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SpecError([Problem(self.doc.file, 1, 1, "", f"more than {MAX_NODES} YAML nodes (alias expansion?)")])
        if len(path) > MAX_DEPTH:
            raise SpecError(
                [
                    Problem(
                        self.doc.file,
                        node.start_mark.line + 1,
                        1,
                        dotted(path),
                        f"nesting deeper than {MAX_DEPTH} levels",
                    )
                ]
            )
        if node.tag not in _PLAIN_TAGS:
            self.fail(node, path, f"unsupported YAML tag {node.tag!r}: only plain YAML values are allowed")
            return None
        style = getattr(node, "style", None)
        self.doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1, style))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            self.fail(node, path, f"unsupported YAML tag {node.tag!r}: only plain YAML values are allowed")
            return None
        why = number_problem(value, str(node.value))
        if why:
            self.fail(node, path, why)
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, path, "YAML merge keys ('<<') are not supported")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or not isinstance(key_node.value, str):
                self.fail(key_node, path, "mapping keys must be plain names")
                continue
            key = str(self.constructor.construct_object(key_node)) if key_node.tag.endswith(":str") else key_node.value
            if key in out:
                self.fail(key_node, (*path, key), f"duplicate key '{key}'")
                continue
            out[key] = self.build(value_node, (*path, key))
        return out
