"""Vector envs of bundled tasks and spec files, by name: the door to `taskspec.runtime.vector`.

`make_vector` is gymnasium's vector entry point (`gymnasium.make_vec("taskspec/<Name>-v0",
num_envs=N)`): the native array env, or the stepped one for tasks with one episode per trial.
The classes accept a task name or path as well as a compiled class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..library import class_from_sources, load
from ..runtime import TrialEnv
from ..runtime import vector as _runtime
from ..runtime.trials import check_num_envs

__all__ = ["SteppedVectorEnv", "TrialVectorEnv", "make_vector"]


def _class(task: str | Path | type[TrialEnv]) -> type[TrialEnv]:
    return task if isinstance(task, type) else load(task)


class TrialVectorEnv(_runtime.TrialVectorEnv):
    __doc__ = _runtime.TrialVectorEnv.__doc__

    def __init__(self, task: str | Path | type[TrialEnv], num_envs: int, **kwargs: Any):
        super().__init__(_class(task), num_envs, **kwargs)


class SteppedVectorEnv(_runtime.SteppedVectorEnv):
    __doc__ = _runtime.SteppedVectorEnv.__doc__

    def __init__(self, task: str | Path | type[TrialEnv], num_envs: int, **kwargs: Any):
        super().__init__(_class(task), num_envs, **kwargs)


def make_vector(
    task: str | None = None, num_envs: int = 1, sources: Any = None, **kwargs: Any
) -> TrialVectorEnv | SteppedVectorEnv:
    """Entry point for `gymnasium.make_vec("taskspec/<Name>-v0", num_envs=N)`: the native vector env,
    or `SteppedVectorEnv` for tasks with one episode per trial. `sources` are the recorded spec
    texts of a task registered with `taskspec.register`."""
    kwargs.pop("render_mode", None)
    if sources is not None:
        cls = class_from_sources(sources)
    elif task is not None:
        cls = load(task)
    else:
        raise TypeError("make_vector needs a task name or the sources of a registered spec")
    if kwargs.get("episode", cls.episode) == "trial":  # the spec's `episode:` or make_vec(..., episode="trial")
        return SteppedVectorEnv(cls, check_num_envs(cls(**kwargs), num_envs), **kwargs)
    return TrialVectorEnv(cls, num_envs, **kwargs)
