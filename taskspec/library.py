"""Finding, loading and compiling specs: the public entry points and the bundled library.

`load` runs the whole pipeline (load -> validate -> lower -> codegen) and execs the
generated source into a class, caching by spec text. The class keeps its spec text so
an env pickles into a fresh process (spawn) and rebuilds there.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import linecache
import sys
import types
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .codegen import generate
from .errors import Problem, SpecError, did_you_mean
from .extends import resolve_extends
from .ir import TaskIR
from .loader import MAX_FILE_BYTES, Document, load_file, load_text
from .lower import lower
from .models import TaskSpec
from .runtime import TrialEnv, _TrialLists
from .validate import validate

_HERE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """Bundled data: inside the package in a wheel, beside it in a source checkout."""
    inside = _HERE / name
    return inside if inside.is_dir() else _HERE.parent / name


TASKS_DIR = _data_dir("tasks")
SCHEMA_PATH = _data_dir("schemas") / "taskspec.schema.json"


def task_files() -> dict[str, Path]:
    """Bundled task name -> spec file."""
    return {p.name[: -len(".yaml")]: p for p in sorted(TASKS_DIR.glob("*.yaml"))}


def resolve(name_or_path: str | Path) -> Path:
    """A bundled task name or a path to a spec file; a SpecError if neither."""
    text = str(name_or_path)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists() or "/" in text:
        if not path.is_file():
            raise SpecError([Problem(text, 0, 0, "", "no such spec file")])
        return path
    bundled = task_files()
    if text.endswith("-v0") and text[:-3] in bundled:
        text = text[:-3]
    if text not in bundled:
        hint = did_you_mean(text, bundled)
        raise SpecError([Problem(text, 0, 0, "", f"no bundled task or file named '{text}'{hint}")])
    return bundled[text]


def _pipeline(text: str, file: str) -> tuple[TaskSpec, TaskIR]:
    doc = resolve_extends(load_text(text, file), _read_parent)
    try:
        spec = validate(doc)
    except SpecError as structural:
        raise SpecError(structural.problems + _meaning_problems(doc, structural)) from None
    return spec, lower(spec, doc)


def _read_parent(reference: str, child_dir: Path) -> Document:
    """A parent spec: a path relative to the child's folder, or a bundled task name."""
    if reference.endswith((".yaml", ".yml")) or "/" in reference:
        return load_file(child_dir / reference)
    text, file = _read(reference)
    return load_text(text, _display_name(file))


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
        return [dataclasses.replace(p, path=_rename(p.path, renamed)) for p in meaning.problems
                if not any(f"'{name}'" in p.message for name in dropped)]
    return []


def _rename(path: str, renamed: dict[str, str]) -> str:
    head, dot, rest = path.partition(".")
    return renamed.get(head, head) + dot + rest


def _read(name_or_path: str | Path) -> tuple[str, str]:
    path = resolve(name_or_path)
    doc_file = str(path)
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:  # refused by size, before reading
            load_file(path)
        return path.read_text(encoding="utf-8"), doc_file
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem(doc_file, 0, 0, "", f"cannot read the file: {exc}")]) from None


def load_spec(name_or_path: str | Path) -> TaskSpec:
    """The validated spec of a bundled task or a file; raises `SpecError`."""
    text, file = _read(name_or_path)
    load_file(file)  # size limit before parsing
    return _pipeline(text, file)[0]


def compile_source(name_or_path: str | Path) -> str:
    """Python source of the module `taskspec compile` writes for a spec."""
    text, file = _read(name_or_path)
    return generate(_pipeline(text, _display_name(file))[1])


def _display_name(file: str) -> str:
    """Bundled specs are named by their path inside the project, so output is machine-independent."""
    path = Path(file).resolve()
    return f"tasks/{path.name}" if path.parent == TASKS_DIR.resolve() else file


def load(name_or_path: str | Path) -> type[TrialEnv]:
    """The compiled `TrialEnv` subclass for a bundled task name or a spec file."""
    text, file = _read(name_or_path)
    return class_from_text(text, _display_name(file))


@lru_cache(maxsize=256)
def class_from_text(text: str, file: str = "<string>") -> type[TrialEnv]:
    """Compile spec text into a class (cached), after a dry run that surfaces runtime errors."""
    _, task = _pipeline(text, file)
    source = generate(task)
    digest = hashlib.sha256((file + "\0" + text).encode()).hexdigest()[:12]
    module_name = f"taskspec._generated.{task.class_name}_{digest}"
    filename = f"<taskspec {file}>"
    module = types.ModuleType(module_name)
    module.__file__ = filename
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # visible in tracebacks
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - source built from the checked IR
    sys.modules[module_name] = module
    cls: type[TrialEnv] = module.__dict__[task.class_name]
    cls.spec_origin = (text, file)
    _dry_run(cls)
    return cls


def _dry_run(cls: type[TrialEnv]) -> None:
    """Build a few trials and judge their steps with default parameters, so errors show at load time."""
    env = cls()
    batch = env.generate(np.random.default_rng(0), 4)
    env._load(batch, _TrialLists(batch, env), 0)
    for k in range(env._length):
        env._call(env._judge, env.action_space.sample() if env.action_type == "continuous" else 0,
                  env._gt_items[k], k * env.dt)
    env._call(env._timeout)


def rebuild_env(origin: tuple[str, str]) -> TrialEnv:
    """Unpickling: recompile the class from its spec text; pickle then restores the state."""
    cls = class_from_text(*origin)
    return cls.__new__(cls)


def make(name_or_path: str | Path, **kwargs: Any) -> TrialEnv:
    """An env instance; `kwargs` are parameters, `dt`, `rewards={...}` or `timing={...}`."""
    return load(name_or_path)(**kwargs)


def _make_registered(task: str, **kwargs: Any) -> TrialEnv:
    return make(task, **kwargs)


def list_tasks(tag: str | None = None) -> list[str]:
    """Names of the bundled tasks, optionally only those with `tag`."""
    names = list(task_files())
    if tag is None:
        return names
    return [n for n in names if tag in load_spec(n).tags]


def register_all() -> None:
    """Register every bundled task as `taskspec/<Name>-v0` with gymnasium."""
    import gymnasium

    for name in task_files():
        env_id = f"taskspec/{name}-v0"
        if env_id not in gymnasium.registry:
            # The passive checker and order enforcer would wrap every step; every bundled env passes
            # gymnasium's full check_env in the test suite, and step() itself refuses to run before reset().
            gymnasium.register(id=env_id, entry_point="taskspec.library:_make_registered", kwargs={"task": name},
                               vector_entry_point="taskspec.vector:make_vector", disable_env_checker=True,
                               order_enforce=False)
