"""Compiled classes: the generated source of a spec exec'd into a `TrialEnv` subclass, once per distinct
set of texts (a bounded cache), pickled as those texts, and warnings from its code said in the spec's terms.

The class keeps its spec texts, so an env pickles into a fresh process (spawn) and rebuilds there.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import linecache
import sys
import threading
import types
import warnings
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..compiler.codegen import generate
from ..runtime import TrialEnv
from .pipeline import pipeline
from .sources import Sources, sources_of, with_parents


def load(name_or_path: str | Path) -> type[TrialEnv]:
    """The compiled `TrialEnv` subclass for a bundled task name or a spec file."""
    return class_from_sources(sources_of(name_or_path))


def load_text(text: str, name: str = "<string>") -> type[TrialEnv]:
    """The compiled class of a spec given as text (it may extend bundled tasks only).

    `name` appears in error messages in place of a file name. Text travels where files do not,
    e.g. to workers on other machines.
    """
    if not isinstance(text, str):
        raise TypeError(f"spec text must be a str, got {type(text).__name__}")
    label = "<" + ascii(name)[1:-1].strip("<>") + ">"  # never a path: nothing is read relative to it
    return class_from_sources(with_parents(((label, text),), None))


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
    _, task, _ = pipeline(sources)
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
