"""The JavaScript a page needs to run a task: the shared runtime, and one task's definition.

`task_script` renders the task's checked IR through compiler/codegen_js.py with the values of the
env the task is made for (parameters checked by the Python env, so a wrong override is worded as
`taskspec.make` words it); what the browser cannot run is refused before, in one place
(compiler/codegen_js.unsupported, reached through the library), with every problem located in the spec.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Problem, SpecError
from ..library import as_env, browser_problems, generate_js, load, lowered
from ..runtime import TrialEnv

STATIC = Path(__file__).parent / "static"


class BrowserRefused(SpecError):
    """A task uses features the browser backend cannot run; `problems` says which, where."""


def runtime_script() -> str:
    """The text of taskspec-runtime.js (the generator, the functions, the step machine, the env)."""
    return (STATIC / "taskspec-runtime.js").read_text(encoding="utf-8")


def browser_refusals(task: Any) -> list[Problem]:
    """What keeps `task` (a bundled name, a spec path, a TrialEnv subclass or env) out of the browser;
    empty when it runs there."""
    return browser_problems(_lowered(_class_of(task)))


def task_script(task: Any, **params: Any) -> str:
    """JavaScript defining `task` with `params` for taskspec-runtime.js; raises BrowserRefused."""
    cls = _class_of(task)
    task_ir = _lowered(cls)
    problems = browser_problems(task_ir)
    if problems:
        raise BrowserRefused(problems)
    env = cls(**params) if isinstance(task, type) else as_env(task, params) if params else cls()
    sizes = env.observation_space.name  # type: ignore[attr-defined]
    actions = env.action_space.name  # type: ignore[attr-defined]
    settings = {
        "params": {name: _plain(value) for name, value in env.params.items()},
        "rewards": {name: float(value) for name, value in env.rewards.items()},
        "dt": float(env.dt),
        "timing": {name: float(ms) for name, ms in env.timing_overrides.items()},
        "kinds": {name: _kind(name, columns) for name, columns in sizes.items()},
        "episode": env.episode,
        "fixate": next((g for g, c in actions.items() if isinstance(c, int) and g.startswith("fix")), None),
    }
    return generate_js(task_ir, settings)


_LOWERED: weakref.WeakKeyDictionary[type[TrialEnv], Any] = weakref.WeakKeyDictionary()


def _lowered(cls: type[TrialEnv]) -> Any:
    """The class's IR, lowered once per class (lowering runs the compiler's front end again)."""
    if cls not in _LOWERED:
        _LOWERED[cls] = lowered(cls)
    return _LOWERED[cls]


def _class_of(task: Any) -> type[TrialEnv]:
    if isinstance(task, type) and issubclass(task, TrialEnv):
        return task
    if isinstance(task, TrialEnv):
        return type(task)
    return type(as_env(task)) if not isinstance(task, (str, Path)) else load(task)


def _kind(name: str, columns: Any) -> str:
    """How a page shows an observation group: a fixation point, stimuli on a ring, or a scalar."""
    if isinstance(columns, int):
        return "fixation" if name.startswith("fix") else "scalar"
    return "ring"


def _plain(value: Any) -> Any:
    """A parameter's value as JSON data (numbers, truth values, lists of them)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)
