"""The compiler's pipeline, run from a spec's texts: load -> extends -> validate -> lower, and the
checked forms it gives (the spec, the IR, the generated module's source, the JAX backend's source).

Structural and meaning problems are reported in one pass: when validation fails, the meaning
checks still run on the spec minus its broken entries.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from ..compiler.codegen import generate
from ..compiler.codegen_jax import generate_jax, unsupported
from ..compiler.codegen_js import generate_js  # noqa: F401 - taskspec.web's door to the compiler
from ..compiler.codegen_js import unsupported as browser_problems  # noqa: F401 - the same
from ..compiler.extends import resolve_extends
from ..compiler.ir import TaskIR
from ..compiler.loader import Document
from ..compiler.lower import lower
from ..compiler.models import TaskSpec
from ..compiler.validate import validate
from ..errors import Problem, SpecError
from ..runtime import TrialEnv
from .bundled import task_files
from .sources import Reader, Sources, own_source, parse, sources_of


def pipeline(sources: Sources, root: Path | None = None, record: bool = False) -> tuple[TaskSpec, TaskIR, Sources]:
    """load -> extends -> validate -> lower; with `record`, parents are read from disk (inside `root`)
    and returned with the spec's own text."""
    (file, text), parents = sources[0], dict(sources[1:])
    reader = Reader(root, None if record else parents)
    doc = resolve_extends(parse(text, file), reader)
    try:
        spec = validate(doc)
    except SpecError as structural:
        raise SpecError(structural.problems + _meaning_problems(doc, structural)) from None
    return spec, lower(spec, doc), ((file, text), *reader.read)


REQUIRED_KEYS = {"task", "dt", "observation", "action", "periods"}


def _meaning_problems(doc: Document, structural: SpecError) -> list[Problem]:
    """Meaning checks on the spec minus its structurally broken entries, so one run reports both kinds.

    Problems that merely mention a dropped entry (e.g. "unknown period 'x'" after period x was
    dropped for a wrong type) are left out: they would only repeat the structural error.
    """
    if not isinstance(doc.data, dict):
        return []  # not a mapping at all: the structural error says so, nothing else to check
    data = copy.deepcopy(doc.data)
    dropped: set[str] = set()
    for path in getattr(structural, "paths", []):
        if len(path) < 2 and (not path or path[0] in REQUIRED_KEYS):
            return []  # a required part is missing or malformed: nothing sound to check
        if len(path) == 1:
            data.pop(path[0], None)
            continue
        section = data.get(path[0])
        if isinstance(section, list) and isinstance(path[1], int) and path[1] < len(section):
            section[path[1]] = None  # placeholder keeps later indices (and their locations) stable
        elif isinstance(section, dict):
            section.pop(path[1], None)
            dropped.add(str(path[1]))
    marks = dict(doc.marks)
    renamed: dict[str, str] = {}  # "inputs[0]" of the pruned spec -> "inputs[1]" of the file
    for key, section in list(data.items()):
        if isinstance(section, list) and None in section:
            kept = [i for i, item in enumerate(section) if item is not None]
            data[key] = [section[i] for i in kept]
            for new, old in enumerate(kept):  # entries move up: their positions move with them
                renamed[f"{key}[{new}]"] = f"{key}[{old}]"
                for path, mark in doc.marks.items():
                    if path[:2] == (key, old):
                        marks[(key, new) + tuple(path[2:])] = mark
    pruned = Document(doc.file, data, marks, doc.origins)
    try:
        lower(validate(pruned), pruned)
    except SpecError as meaning:
        return [
            dataclasses.replace(p, path=_rename(p.path, renamed))
            for p in meaning.problems
            if not any(f"'{name}'" in p.message for name in dropped)
        ]
    return []


def _rename(path: str, renamed: dict[str, str]) -> str:
    head, dot, rest = path.partition(".")
    return renamed.get(head, head) + dot + rest


def task_ir(origin: Sources) -> TaskIR:
    """The checked intermediate form of the spec a class was compiled from (its `spec_origin`),
    for checks above the library that read the spec's structure (rules, targets, locations)."""
    return pipeline(tuple((str(file), str(text)) for file, text in origin))[1]


def load_spec(name_or_path: str | Path) -> TaskSpec:
    """The validated spec of a bundled task or a file; raises `SpecError`."""
    return _checked_spec(sources_of(name_or_path)).model_copy(deep=True)  # a copy: the caller may change it


@lru_cache(maxsize=256)
def _checked_spec(sources: Sources) -> TaskSpec:
    """The spec checked from its texts (cached: `list_tasks(tag)` and `taskspec list` read every bundled spec)."""
    return pipeline(sources)[0]


def compile_source(name_or_path: str | Path, formatted: bool = True) -> str:
    """Python source of the module `taskspec compile` writes for a spec.

    With `formatted` (the default), the module is laid out by ruff's formatter when ruff is
    installed (the `dev` extra has it); without ruff it is the same code, laid out as generated.
    """
    return generate(pipeline(*own_source(name_or_path), record=True)[1], format_source if formatted else None)


def format_source(source: str) -> str:
    """`source` formatted by `ruff format` (120 columns, the project's style), if ruff is installed."""
    if importlib.util.find_spec("ruff") is None:
        return source
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments, the source on stdin
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--isolated",
            "--line-length",
            "120",
            "--stdin-filename",
            "generated.py",
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout if result.returncode == 0 else source


def list_tasks(tag: str | None = None) -> list[str]:
    """Names of the bundled tasks, optionally only those with `tag`."""
    names = list(task_files())
    if tag is None:
        return names
    return [n for n in names if tag in load_spec(n).tags]


def lowered(cls: type[TrialEnv]) -> TaskIR:
    """The checked IR a class compiled at load time was generated from (for other backends, e.g. JAX)."""
    if cls.spec_origin is None:
        raise TypeError(f"{cls.__name__} was not compiled by taskspec at load time: its spec is unknown")
    return pipeline(cls.spec_origin)[1]


def jax_source(cls: type[TrialEnv], formatted: bool = False) -> tuple[TaskIR, str]:
    """A load-time class's IR and the source of its JAX backend's functions (taskspec.jax execs it);
    `formatted`: laid out by ruff's formatter, as the goldens are (see `compile_source`).

    Raises SpecError listing every spec feature that backend cannot run, each at its spec location."""
    task = lowered(cls)
    problems = unsupported(task)
    if problems:
        raise SpecError(problems)
    return task, generate_jax(task, format_source if formatted else None)
