"""Finding, loading and compiling specs: the public entry points and the bundled library.

`load` runs the whole pipeline (load -> validate -> lower -> codegen) and execs the
generated source into a class, caching by spec text. The class keeps its spec text so
an env pickles into a fresh process (spawn) and rebuilds there.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import dataclasses
import functools
import hashlib
import importlib.util
import linecache
import os
import subprocess
import sys
import threading
import types
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import gymnasium

from .compiler.codegen import generate
from .compiler.codegen_jax import generate_jax, unsupported
from .compiler.codegen_js import generate_js  # noqa: F401 - taskspec.web's door to the compiler
from .compiler.codegen_js import unsupported as browser_problems  # noqa: F401 - the same
from .compiler.extends import resolve_extends
from .compiler.ir import TaskIR
from .compiler.loader import Document, read_file
from .compiler.loader import load_text as parse_yaml
from .compiler.lower import lower
from .compiler.models import TaskSpec
from .compiler.validate import validate
from .errors import Problem, SpecError, did_you_mean
from .runtime import TrialEnv

_HERE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """Bundled data: inside the package in a wheel, beside it in a source checkout."""
    inside = _HERE / name
    return inside if inside.is_dir() else _HERE.parent / name


TASKS_DIR = _data_dir("tasks")
SCHEMA_PATH = _data_dir("schemas") / "taskspec.schema.json"
MODIFIERS_DIR = TASKS_DIR / "modifiers"


def task_files() -> dict[str, Path]:
    """Bundled task name -> spec file."""
    return dict(_bundled())


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[tuple[str, Path], ...]:
    # The installed task folder does not change while a program runs; listing it once keeps
    # name lookups (every make, generate_trials, Dataset) off the file system.
    return tuple((p.name[: -len(".yaml")], p) for p in sorted(TASKS_DIR.glob("*.yaml")))


def is_path(name_or_path: str | Path) -> bool:
    """Whether an argument names a file: a Path, or text with a folder separator or a YAML suffix.

    Anything else is a bundled task name, and only ever resolves to the bundled library, so a
    file in the working directory can never stand in for a bundled task.
    """
    if isinstance(name_or_path, Path):
        return True
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in name_or_path for sep in separators) or name_or_path.endswith((".yaml", ".yml"))


def resolve(name_or_path: str | Path) -> Path:
    """A bundled task name or a path to a spec file; a SpecError if neither."""
    text = str(name_or_path)
    if is_path(name_or_path):
        path = Path(text)
        if not path.is_file():
            raise SpecError([Problem(text, 0, 0, "", "no such spec file")])
        return path
    bundled = task_files()
    if text.endswith("-v0") and text[:-3] in bundled:
        text = text[:-3]
    if text not in bundled:
        shown = ascii(text)[1:-1]
        hint = did_you_mean(text, bundled) or f"; a spec file is named by a path, e.g. ./{shown}.yaml"
        raise SpecError([Problem(shown, 0, 0, "", f"no bundled task named '{shown}'{hint}")])
    return bundled[text]


def modifier_files() -> dict[str, Path]:
    """Bundled modifier name -> spec fragment (tasks/modifiers/NAME.yaml)."""
    return {p.name[: -len(".yaml")]: p for p in sorted(MODIFIERS_DIR.glob("*.yaml"))}


def resolve_modifier(name: str) -> Path:
    """A bundled modifier by name; a SpecError if there is none."""
    bundled = modifier_files()
    if name not in bundled:
        shown = ascii(name)[1:-1]
        hint = did_you_mean(name, bundled) or "; a local modifier is named by a path, e.g. ./mine.yaml"
        raise SpecError([Problem(shown, 0, 0, "", f"no bundled modifier named '{shown}'{hint}")])
    return bundled[name]


# The texts a class is compiled from: the spec's (display file, text) first, then each parent it
# extends, in order. It keys the class cache and travels with pickles, so nothing is re-read from disk.
Sources = tuple[tuple[str, str], ...]


class _Reader:
    """Reads the parents a spec extends and records their texts.

    Reading from disk (`root` set: the folder of the spec being loaded) allows bundled names and
    .yaml files inside that folder tree only. Given `recorded` texts (from a pickle or the cache
    key), it replays them and never touches the disk.
    """

    def __init__(self, root: Path | None, recorded: dict[str, str] | None = None):
        self.root, self.recorded = root, recorded
        self.read: list[tuple[str, str]] = []
        self.paths: list[Path] = []  # the files read, for the command line's "never write over a spec" check

    def __call__(self, reference: str, child_dir: Path, modifier: bool = False) -> Document:
        if not is_path(reference):
            bundled = resolve_modifier(reference) if modifier else resolve(reference)
            file, path = _display_name(str(bundled)), bundled
        else:
            path = self._checked_path(reference, child_dir)
            file = str(path)
        if self.recorded is None:
            text = read_file(path)
        elif file in self.recorded:
            text = self.recorded[file]
        else:
            raise SpecError([Problem("", 0, 0, "", "the parent is missing from the recorded spec texts")])
        self.read.append((file, text))
        self.paths.append(path)
        return _parse(text, file)

    def _checked_path(self, reference: str, child_dir: Path) -> Path:
        """A parent file relative to its child's folder, refused outside the loaded spec's folder tree."""
        if not reference.endswith((".yaml", ".yml")):
            raise SpecError([Problem("", 0, 0, "", "a parent file must end in .yaml or .yml")])
        relative = Path(reference)
        if relative.is_absolute() or relative.drive:
            raise SpecError([Problem("", 0, 0, "", "a parent file must be named relative to this spec's folder")])
        path = child_dir / relative
        if self.recorded is not None:
            return path  # checked when the texts were recorded
        if self.root is None:
            raise SpecError(
                [Problem("", 0, 0, "", "a bundled spec or a spec given as text can extend bundled tasks only")]
            )
        if not path.resolve().is_relative_to(self.root):
            raise SpecError(
                [
                    Problem(
                        "",
                        0,
                        0,
                        "",
                        "a parent file must lie inside the folder of the spec being "
                        "loaded (no '..' out of it, no links leading out)",
                    )
                ]
            )
        return path


@lru_cache(maxsize=512)
def _parsed(text: str, file: str) -> Document:
    return parse_yaml(text, file)


def _parse(text: str, file: str) -> Document:
    """A spec text parsed once per (text, file): parents and modifiers shared by many tasks (the yang19 bases
    under the Mod-Cog family) and a variant made in a loop are not parsed again. Callers get their own copy."""
    return copy.deepcopy(_parsed(text, file))


def _pipeline(sources: Sources, root: Path | None = None, record: bool = False) -> tuple[TaskSpec, TaskIR, Sources]:
    """load -> extends -> validate -> lower; with `record`, parents are read from disk (inside `root`)
    and returned with the spec's own text."""
    (file, text), parents = sources[0], dict(sources[1:])
    reader = _Reader(root, None if record else parents)
    doc = resolve_extends(_parse(text, file), reader)
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


def _read(name_or_path: str | Path) -> tuple[Sources, Path | None]:
    """A spec's own (display file, text), and the folder its parents must lie in (None: bundled)."""
    path = resolve(name_or_path)
    file = _display_name(str(path))
    root = None if file.startswith("tasks/") and path.resolve().parent == TASKS_DIR.resolve() else path.resolve().parent
    return ((file, read_file(path)),), root


def _sources(name_or_path: str | Path) -> Sources:
    """Everything a spec's class depends on: its text and the texts of the parents it extends."""
    own, root = _read(name_or_path)
    return _with_parents(own, root)


def _with_parents(own: Sources, root: Path | None) -> Sources:
    if "extends" not in own[0][1] and "modifiers" not in own[0][1]:  # no parents: skip parsing (`make` in a loop)
        return own
    # Only the parents' texts are needed here: the spec is checked (and cached) from all the texts.
    (file, text), reader = own[0], _Reader(root)
    resolve_extends(_parse(text, file), reader)
    return ((file, text), *reader.read)


def spec_files(name_or_path: str | Path) -> list[Path]:
    """The files a spec is read from: its own and every parent or modifier file it names, recursively."""
    own, root = _read(name_or_path)
    (file, text), reader = own[0], _Reader(root)
    if "extends" in text or "modifiers" in text:
        resolve_extends(_parse(text, file), reader)
    return [resolve(name_or_path), *reader.paths]


def task_ir(origin: Sources) -> TaskIR:
    """The checked intermediate form of the spec a class was compiled from (its `spec_origin`),
    for checks above the library that read the spec's structure (rules, targets, locations)."""
    return _pipeline(tuple((str(file), str(text)) for file, text in origin))[1]


def load_spec(name_or_path: str | Path) -> TaskSpec:
    """The validated spec of a bundled task or a file; raises `SpecError`."""
    return _checked_spec(_sources(name_or_path)).model_copy(deep=True)  # a copy: the caller may change it


@lru_cache(maxsize=256)
def _checked_spec(sources: Sources) -> TaskSpec:
    """The spec checked from its texts (cached: `list_tasks(tag)` and `taskspec list` read every bundled spec)."""
    return _pipeline(sources)[0]


def compile_source(name_or_path: str | Path, formatted: bool = True) -> str:
    """Python source of the module `taskspec compile` writes for a spec.

    With `formatted` (the default), the module is laid out by ruff's formatter when ruff is
    installed (the `dev` extra has it); without ruff it is the same code, laid out as generated.
    """
    return generate(_pipeline(*_read(name_or_path), record=True)[1], format_source if formatted else None)


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


def _display_name(file: str) -> str:
    """Bundled specs are named by their path inside the project, so output is machine-independent."""
    path = Path(file).resolve()
    if path.parent == MODIFIERS_DIR.resolve():
        return f"tasks/modifiers/{path.name}"
    return f"tasks/{path.name}" if path.parent == TASKS_DIR.resolve() else file


def load(name_or_path: str | Path) -> type[TrialEnv]:
    """The compiled `TrialEnv` subclass for a bundled task name or a spec file."""
    return class_from_sources(_sources(name_or_path))


def load_text(text: str, name: str = "<string>") -> type[TrialEnv]:
    """The compiled class of a spec given as text (it may extend bundled tasks only).

    `name` appears in error messages in place of a file name. Text travels where files do not,
    e.g. to workers on other machines.
    """
    if not isinstance(text, str):
        raise TypeError(f"spec text must be a str, got {type(text).__name__}")
    label = "<" + ascii(name)[1:-1].strip("<>") + ">"  # never a path: nothing is read relative to it
    return class_from_sources(_with_parents(((label, text),), None))


_CLASS_LOCK = threading.RLock()
MAX_COMPILED = 256  # classes kept ready; one more evicts the least recently used (docs/limits.md)
_COMPILED: OrderedDict[Sources, type[TrialEnv]] = OrderedDict()
_MODULES: dict[str, types.ModuleType] = {}  # generated file name -> module, for warnings raised in its code


def class_from_sources(sources: Any) -> type[TrialEnv]:
    """The class compiled from `sources`, created once per distinct set of texts, whatever the threads.

    `sources` may come back from a pickle or gymnasium's kwargs as lists: they are made tuples here.
    At most `MAX_COMPILED` classes are kept; an evicted class is compiled again when asked for,
    and its module leaves `sys.modules` and `linecache` once no env of it is left (`_forget`).
    """
    key: Sources = tuple((str(file), str(text)) for file, text in sources)
    with _CLASS_LOCK:
        cls = _COMPILED.get(key)
        if cls is None:
            cls = _COMPILED[key] = _compiled(key)
            while len(_COMPILED) > MAX_COMPILED:
                _COMPILED.popitem(last=False)
        _COMPILED.move_to_end(key)
        return cls


def _compiled(sources: Sources) -> type[TrialEnv]:
    """Compile, exec and dry-run a class (called under the lock)."""
    _, task, _ = _pipeline(sources)
    source = generate(task)
    digest = hashlib.sha256(repr(sources).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    module_name = f"taskspec._generated.{task.class_name}_{digest}"
    filename = f"<taskspec-generated-{digest}>"  # unique per set of texts; no file name or path in it
    module = types.ModuleType(module_name)
    module.__file__ = filename
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # readable tracebacks
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - source built from the checked IR
    # The module must not hold its class: then the class (kept by the cache and by its envs) is what
    # keeps the module registered, and `_forget` unregisters it when the class is collected.
    cls: type[TrialEnv] = module.__dict__.pop(task.class_name)
    sys.modules[module_name] = module
    _MODULES[filename] = module
    cls.spec_origin = sources
    cls.__reduce_ex__ = _reduce_env_ex  # type: ignore[assignment,method-assign]  # not copyreg: its table would keep every class
    weakref.finalize(cls, _forget, module_name, filename).atexit = False  # at exit nothing needs forgetting
    cls.dry_run()
    return cls


def generated_warning_text(message: Any, filename: str, lineno: int) -> str | None:
    """A warning raised by generated code (NumPy's RuntimeWarning for log(-1) or 1/0), said at the spec
    location whose code raised it, as `FILE:LINE:COL: path: ...`; None for a warning from elsewhere."""
    module = _MODULES.get(str(filename))
    table = getattr(module, "_SPEC_LOCATIONS", ()) if module is not None else ()
    row = bisect.bisect_right([entry[0] for entry in table], lineno) - 1
    if row < 0:
        return None
    _, path, file, line, col = table[row]
    return f"{file}:{line}:{col}: {path}: {message} (NumPy, while computing this value)"


_show_other_warnings = warnings.showwarning


def _show_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    """Shows warnings from generated code in the spec's terms, never a line of generated code; the rest as before.

    Installed as `warnings.showwarning` (the documented hook), so a script calling `make` sees the
    spec's line; the command line translates the warnings it records with `generated_warning_text`.
    """
    text = generated_warning_text(message, filename, lineno)
    if text is None:
        _show_other_warnings(message, category, filename, lineno, file, line)
        return
    with contextlib.suppress(OSError, AttributeError):  # as Python's own: no stream, no message
        (file or sys.stderr).write(f"warning: {text}\n")


warnings.showwarning = _show_warning


def _forget(module_name: str, filename: str) -> None:
    """A generated class was collected: its module and source lines go too (they would pile up otherwise)."""
    sys.modules.pop(module_name, None)
    linecache.cache.pop(filename, None)
    _MODULES.pop(filename, None)


def lowered(cls: type[TrialEnv]) -> TaskIR:
    """The checked IR a class compiled at load time was generated from (for other backends, e.g. JAX)."""
    if cls.spec_origin is None:
        raise TypeError(f"{cls.__name__} was not compiled by taskspec at load time: its spec is unknown")
    return _pipeline(cls.spec_origin)[1]


def jax_source(cls: type[TrialEnv], formatted: bool = False) -> tuple[TaskIR, str]:
    """A load-time class's IR and the source of its JAX backend's functions (taskspec.jax execs it);
    `formatted`: laid out by ruff's formatter, as the goldens are (see `compile_source`).

    Raises SpecError listing every spec feature that backend cannot run, each at its spec location."""
    task = lowered(cls)
    problems = unsupported(task)
    if problems:
        raise SpecError(problems)
    return task, generate_jax(task, format_source if formatted else None)


def _reduce_env_ex(env: TrialEnv, protocol: int = 2) -> Any:
    """Pickle and copy a generated class's env through `_reduce_env`; a user's subclass of it pickles as usual."""
    if "spec_origin" not in type(env).__dict__:
        return object.__reduce_ex__(env, protocol)
    return _reduce_env(env)


def _reduce_env(env: TrialEnv) -> Any:
    """Pickle a load-time env as the texts of its spec plus its state: unpickling reads no file."""
    return rebuild_env, (type(env).spec_origin,), dict(env.__dict__)


def rebuild_env(origin: Sources) -> TrialEnv:
    """Unpickling: recompile the class from its recorded texts; pickle then restores the state."""
    cls = class_from_sources(origin)
    return cls.__new__(cls)


def make(name_or_path: str | Path | None = None, *, spec_text: str | None = None, **kwargs: Any) -> TrialEnv:
    """An env instance of a bundled task, a spec file, or spec text (`spec_text=`).

    `kwargs` are parameters, `dt`, `rewards={...}` or `timing={...}`.
    """
    cls = _class_of(name_or_path, spec_text)
    return cls(**_neurogym_arguments(cls, kwargs))


def _neurogym_arguments(cls: type[TrialEnv], kwargs: dict[str, Any]) -> dict[str, Any]:
    """NeuroGym constructor arguments that a bundled task takes in another form, translated.

    AnnubesEnv's `session` (modality -> relative probability, e.g. {"v": 0.5, "a": 0.5})
    becomes `p_visual`, the visual share of the non-catch trials.
    """
    if cls.task_name != "AnnubesEnv" or "session" not in kwargs or cls.info.param("p_visual") is None:
        return kwargs
    kwargs = dict(kwargs)
    session = kwargs.pop("session")
    weights = session if isinstance(session, dict) else {}
    odd = [key for key in weights if key not in ("v", "a")]
    values = [weights.get(m, 0) for m in ("v", "a")]
    if not weights or odd or not all(isinstance(w, (int, float)) and w >= 0 for w in values) or sum(values) <= 0:
        raise ValueError(
            f"AnnubesEnv models one visual ('v') and one auditory ('a') modality: session={session!r} cannot be"
            f" mapped{f' ({odd} are not modelled)' if odd else ''}; give session={{'v': ..., 'a': ...}} with"
            " non-negative weights, or p_visual=... (the visual share of the non-catch trials)"
        )
    if "p_visual" in kwargs:
        raise ValueError("AnnubesEnv: give session or p_visual (the visual share of the non-catch trials), not both")
    kwargs["p_visual"] = values[0] / sum(values)
    return kwargs


# Wrappers that leave a task's trials as they are: batch code may look through them.
_TRANSPARENT = {"OrderEnforcing", "PassiveEnvChecker", "TimeLimit", "RecordEpisodeStatistics", "Monitor"}


def as_env(task: Any, params: dict[str, Any] | None = None) -> TrialEnv:
    """The task behind a name, path, gymnasium id or env instance (possibly wrapped), for code that
    builds trials in batches (datasets, plots, analyses); `params` make a new env."""
    if isinstance(task, gymnasium.Env):
        if params:
            raise ValueError("parameters go to the env when it is made; an env instance takes no parameters here")
        return _unwrapped_task(task)
    if isinstance(task, str) and task.startswith("taskspec/") and task.endswith("-v0"):
        task = task[len("taskspec/") :]  # the gymnasium id of a bundled task
    return make(task, **(params or {}))


def _unwrapped_task(env: Any) -> TrialEnv:
    layer: Any = env
    while isinstance(layer, gymnasium.Wrapper):
        if type(layer).__name__ not in _TRANSPARENT:
            raise ValueError(
                f"the wrapper {type(layer).__name__} changes what the task produces, which batches of "
                f"trials cannot reproduce: pass the task without it (env.unwrapped), or step the "
                f"wrapped env to collect data"
            )
        layer = layer.env
    if not isinstance(layer, TrialEnv):
        raise ValueError(
            f"{type(layer).__name__} is not a taskspec task: pass a task name, a spec path or an env "
            f"made by taskspec.make"
        )
    if "new_trial" in vars(layer):  # a trial wrapper installed itself on this task
        raise ValueError(
            f"{layer.task_name} has a trial wrapper installed (its new_trial is replaced), which "
            f"batches of trials cannot reproduce: make a fresh task"
        )
    return layer


def _class_of(name_or_path: str | Path | None, spec_text: str | None) -> type[TrialEnv]:
    if (name_or_path is None) == (spec_text is None):
        raise TypeError("give a task name or path, or spec_text=..., but not both")
    return load(name_or_path) if spec_text is None else load_text(spec_text)  # type: ignore[arg-type]


def make_registered(task: str | None = None, sources: Sources | None = None, **kwargs: Any) -> TrialEnv:
    """gymnasium's entry point: a bundled task by name, or a registered spec by its recorded texts."""
    if sources is not None:
        cls = class_from_sources(sources)
        return cls(**_neurogym_arguments(cls, kwargs))
    return make(task, **kwargs)


def register(
    spec_or_id: str | Path | None = None,
    name_or_path: str | Path | None = None,
    *,
    spec_text: str | None = None,
    **defaults: Any,
) -> str:
    """Register a spec (file, bundled name, or text) with gymnasium; return its id.

    `register("my_task.yaml")` and `register(spec_text=yaml)` register the spec as
    "taskspec/<task>-v0", named by the spec's `task:`; `register(env_id, "my_task.yaml")` and
    `register(env_id, spec_text=yaml)` choose the id. `gymnasium.make(id)` then builds the env,
    `gymnasium.make_vec(id, num_envs=N)` the native vector env. The registration holds the spec's
    texts (its parents' too), so the file may change or vanish afterwards; `defaults` are
    parameters passed to every env. Registering the same spec and defaults again returns the
    same id; an id held by a different spec is refused with a ValueError.
    """
    if name_or_path is None and spec_text is None:
        env_id, name_or_path = None, spec_or_id  # the one argument is the spec
    else:
        env_id = None if spec_or_id is None else str(spec_or_id)
    if name_or_path is None and spec_text is None:
        raise TypeError("register needs a spec: a task name or path, or spec_text=...")
    cls = _class_of(name_or_path, spec_text)  # compiles now: errors surface here
    if env_id is None:
        env_id = f"taskspec/{cls.task_name}-v0"
    elif not gymnasium.envs.registration.ENV_ID_RE.fullmatch(env_id):
        raise ValueError(f"env_id '{ascii(env_id)[1:-1]}' is not a gymnasium id such as 'lab/MyTask-v0'")
    kwargs = {"sources": cls.spec_origin, **defaults}
    if env_id in gymnasium.registry:
        held = gymnasium.registry[env_id]
        if not _same_registration(held, kwargs):
            raise ValueError(
                f"env_id '{env_id}' is already registered to a different spec or different defaults; "
                f"rename the spec's task or pass an id of your own: register(env_id, spec)"
            )
        return env_id
    _register(env_id, kwargs)
    return env_id


def _same_registration(held: Any, kwargs: dict[str, Any]) -> bool:
    """Whether a registered id builds what `kwargs` would: the same spec texts and the same defaults.

    Texts are compared without their file labels, so a copy of a spec in another folder (or the
    text of a bundled task) is the same spec.
    """
    if held.entry_point != _ENTRY_POINT:
        return False
    held_kwargs = dict(held.kwargs)
    task = held_kwargs.pop("task", None)
    sources = _sources(task) if task is not None else held_kwargs.pop("sources", ())
    own = dict(kwargs)
    own_sources = own.pop("sources")
    return [text for _, text in sources] == [text for _, text in own_sources] and held_kwargs == own


def list_tasks(tag: str | None = None) -> list[str]:
    """Names of the bundled tasks, optionally only those with `tag`."""
    names = list(task_files())
    if tag is None:
        return names
    return [n for n in names if tag in load_spec(n).tags]


def register_all() -> None:
    """Register every bundled task as `taskspec/<Name>-v0` with gymnasium."""
    for name in task_files():
        env_id = f"taskspec/{name}-v0"
        if env_id not in gymnasium.registry:
            _register(env_id, {"task": name})


_ENTRY_POINT = "taskspec.library:make_registered"
registration_listeners: list[Callable[[str, dict[str, Any]], None]] = []  # told of each id registered


def _register(env_id: str, kwargs: dict[str, Any]) -> None:
    """A gymnasium id built by `make_registered`, with the native vector env for `make_vec`.

    The passive checker and order enforcer would wrap every step; every bundled env passes
    gymnasium's full check_env in the test suite, and step() itself refuses to run before reset().
    """
    gymnasium.register(
        id=env_id,
        entry_point=_ENTRY_POINT,
        kwargs=kwargs,
        vector_entry_point="taskspec.rl.vector:make_vector",
        disable_env_checker=True,
        order_enforce=False,
    )
    for listener in registration_listeners:  # taskspec.rl.rllib_registry: RLlib's env runners find the id in Ray Tune
        listener(env_id, kwargs)
