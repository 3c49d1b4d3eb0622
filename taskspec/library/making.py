"""Making envs: an instance of a bundled task, a spec file or spec text, with NeuroGym's constructor
arguments translated; and the task behind whatever batch code is handed (a name, an env, a wrapped env).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium

from ..runtime import TrialEnv
from .classes import load, load_text


def make(name_or_path: str | Path | None = None, *, spec_text: str | None = None, **kwargs: Any) -> TrialEnv:
    """An env instance of a bundled task, a spec file, or spec text (`spec_text=`).

    `kwargs` are parameters, `dt`, `rewards={...}` or `timing={...}`.
    """
    cls = class_of(name_or_path, spec_text)
    return cls(**neurogym_arguments(cls, kwargs))


def neurogym_arguments(cls: type[TrialEnv], kwargs: dict[str, Any]) -> dict[str, Any]:
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


def class_of(name_or_path: str | Path | None, spec_text: str | None) -> type[TrialEnv]:
    if (name_or_path is None) == (spec_text is None):
        raise TypeError("give a task name or path, or spec_text=..., but not both")
    return load(name_or_path) if spec_text is None else load_text(spec_text)  # type: ignore[arg-type]
