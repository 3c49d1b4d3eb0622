"""A task's JAX functions: generated from its IR (compiler/codegen_jax.py, through the library),
exec'd once per task class and kept, with do-nothing versions of those the task gives no work."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from ..library import jax_source
from . import functions as fn

if TYPE_CHECKING:
    from ..compiler import ir
    from ..runtime import TrialEnv

_FUNCTIONS: dict[Any, types.SimpleNamespace] = {}


def _no_session(_rng: Any, _c: Any) -> dict[str, Any]:
    return {}


def _same_session(_rng: Any, _c: Any, previous: Any, _last: Any) -> Any:
    return previous


def _same_state(_c: Any, _v: Any, states: Any, *_rest: Any) -> Any:
    return states


def _unchanged(*args: Any) -> Any:
    """A step function the task gives nothing to do: its last argument (the ob, gt or state) as it is."""
    return args[-1]


def _no_rules(*_args: Any) -> fn.Outcomes:
    return fn.Outcomes()


def _no_until(*_args: Any) -> dict[str, Any]:
    return {}


# The functions generated code leaves out when the task gives them nothing to do (codegen_jax.py).
_DEFAULTS = {
    "session_init": _no_session,
    "session_next": _same_session,
    "observe": _unchanged,
    "target": _unchanged,
    "state_next": _same_state,
    "judge": _no_rules,
    "timeout": _no_rules,
    "until": _no_until,
}


def task_functions(cls: type[TrialEnv]) -> tuple[ir.TaskIR, types.SimpleNamespace]:
    """The task's IR and its JAX functions, generated and exec'd once per class."""
    task, source = jax_source(cls)  # raises SpecError for what the backend cannot run
    if cls not in _FUNCTIONS:
        namespace: dict[str, Any] = {"__name__": f"taskspec._generated_jax.{task.class_name}"}
        exec(compile(source, "<taskspec-generated-jax>", "exec"), namespace)  # noqa: S102 - built from the checked IR
        _FUNCTIONS[cls] = types.SimpleNamespace(**{**_DEFAULTS, **namespace})
    return task, _FUNCTIONS[cls]
