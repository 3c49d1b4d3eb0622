"""What the wrappers share: finding the task under a wrapper stack, named spaces, trial hooks.

Gymnasium 1.x wrappers no longer forward unknown attributes to the env they wrap, so a
wrapper that needs the task's surface (`gt`, `trial`, `new_trial`, `rewards`, ...) reaches
it through `env.unwrapped`, which must be a `TrialEnv`. For code written for NeuroGym,
every taskspec wrapper also reads the task's NeuroGym attributes through (`TaskSurface`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from ..runtime import NamedBox, TrialEnv

Names = dict[str, int | list[int]]
StepResult = tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]
ResetResult = tuple[Any, dict[str, Any]]


def task_of(env: gym.Env, who: str) -> TrialEnv:
    """The `TrialEnv` under `env`'s wrappers, or a TypeError saying which wrapper needs one."""
    task = env.unwrapped
    if not isinstance(task, TrialEnv):
        raise TypeError(f"{who} needs a taskspec task (a TrialEnv) under its wrappers, got {type(task).__name__}")
    return task


def group_columns(start: int, size: int) -> int | list[int]:
    """A group's columns as the runtime names them: an int for one column, else a list."""
    return start if size == 1 else list(range(start, start + size))


def extend_box(space: gym.Space, group: str, size: int) -> NamedBox:
    """`space` (a 1-D Box) with `size` unbounded columns appended as the named group `group`.

    The inner names are kept, so `observation_space.name` still says where every group is.
    """
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
        raise ValueError(f"can only append '{group}' to a 1-D Box observation space, got {space}")
    names: Names = dict(getattr(space, "name", {}) or {})
    if group in names:
        raise ValueError(f"the observation already has a group named '{group}' (was the wrapper applied twice?)")
    width = space.shape[0]
    low = np.concatenate([space.low, np.full(size, -np.inf, np.float32)]).astype(np.float32)
    high = np.concatenate([space.high, np.full(size, np.inf, np.float32)]).astype(np.float32)
    box = NamedBox(low, high, dtype=np.float32)
    box.name = {**names, group: group_columns(width, size)}
    return box


def child_rng(np_random: np.random.Generator) -> np.random.Generator:
    """An independent generator derived from `np_random` without drawing from it.

    Spawning uses the generator's seed sequence, so the task's own stream (and so its
    trials) is the same with or without the wrapper; a fresh `reset(seed=s)` gives the
    same child again, a `reset()` without a seed the next one. Generators without a seed
    sequence fall back to one draw.
    """
    try:
        return np_random.spawn(1)[0]
    except (AttributeError, TypeError, ValueError):  # numpy < 1.25, or no seed sequence to spawn from
        return np.random.default_rng(int(np_random.integers(2**63)))


# NeuroGym's task attributes and methods, which wrappers passed through before gymnasium 1.0.
TASK_SURFACE = frozenset(
    {
        "ob", "gt", "ob_now", "gt_now", "t", "t_ind", "tmax", "dt", "trial", "num_tr", "performance",
        "rewards", "timing", "start_t", "end_t", "start_ind", "end_ind", "in_period", "new_trial",
        "reseed", "trial_length_stats", "params", "task_name", "action_index",
    }
)  # fmt: skip


class TaskSurface:
    """Reads NeuroGym's task attributes (`TASK_SURFACE`: `gt_now`, `new_trial`, `ob`, `t_ind`, ...)
    through the wrapper, from the task under the whole stack, as NeuroGym's wrappers did.

    Only those names are passed through: any other missing attribute is still an error, so a
    typo is not silently answered by the task. A wrapper's own attributes come first.
    """

    def __getattr__(self, name: str) -> Any:
        env = self.__dict__.get("env")  # absent while unpickling: no forwarding then
        if name in TASK_SURFACE and env is not None:
            return getattr(env.unwrapped, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class _InstallsAfterInit(type):
    """Installs a trial wrapper once its `__init__` (a subclass's included) has returned, so a
    subclass written as in NeuroGym, which overrides `new_trial` only, works without `install()`."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        wrapper = super().__call__(*args, **kwargs)
        if not wrapper._installed:
            wrapper.install()
        return wrapper


class TrialWrapper(TaskSurface, gym.Wrapper, gym.utils.RecordConstructorArgs, metaclass=_InstallsAfterInit):
    """Base of wrappers that change how the task draws its trials.

    The task starts trials itself, inside `reset` and `step` (`self.new_trial()`), so a
    wrapper cannot intercept them from outside without discarding trials other wrappers
    have already seen. Instead the wrapper installs its `new_trial` on the task instance:
    every trial the task starts, from any caller, goes through it, whatever other wrappers
    sit in between. Several trial wrappers chain: each calls the one installed before it.

    Subclasses override `new_trial(**overrides)`, calling `self.draw_next(**overrides)` (or,
    as in NeuroGym, `self.env.new_trial(**overrides)`: inside the hook it means the same), and
    `on_reset()`, called before the first trial after every reset of the task. The wrapper is
    installed when its construction ends; a subclass may call `self.install()` earlier, e.g.
    before it edits the trial already loaded. A wrapper that failed to build leaves the task
    untouched. As in NeuroGym, `new_trial` may replace `self.ob`, the trial's observations:
    the assignment goes to the task, whose `reset` and `step` then return those rows.
    """

    def __init__(self, env: gym.Env, **recorded: Any):
        gym.utils.RecordConstructorArgs.__init__(self, **recorded)
        gym.Wrapper.__init__(self, env)
        self.task = task_of(env, type(self).__name__)
        self._earlier_hook: Any = None
        self._installed = False
        self._in_hook = False

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "ob" and "task" in self.__dict__:  # NeuroGym's way of editing the trial's observations
            setattr(self.task, name, value)
        else:
            super().__setattr__(name, value)

    def install(self) -> None:
        """Route every trial the task starts through this wrapper's `new_trial` (once)."""
        if self._installed:
            return
        # The hook of a trial wrapper installed earlier, if any. The class's own method is not
        # stored as a bound method: unpickling would look it up again and find this hook.
        self._earlier_hook = vars(self.task).get("new_trial")
        # An instance attribute shadows TrialEnv.new_trial, so the task's own reset/step call the hook.
        self.task.new_trial = self._hook  # type: ignore[method-assign, assignment]
        self._installed = True

    def draw_next(self, **overrides: Any) -> dict[str, Any]:
        """Start the trial through the trial wrappers installed before this one, then the task."""
        if self._earlier_hook is not None:
            return self._earlier_hook(**overrides)
        return type(self.task).new_trial(self.task, **overrides)

    def _hook(self, **overrides: Any) -> dict[str, Any]:
        if self._in_hook:  # this wrapper's new_trial asked the task (self.env.new_trial): go inwards
            return self.draw_next(**overrides)
        if self.task.num_tr == 0:  # reset() clears the count before it starts the first trial
            self.on_reset()
        self._in_hook = True
        try:
            return self.new_trial(**overrides)
        finally:
            self._in_hook = False

    def on_reset(self) -> None:
        """Forget per-run state (blocks, trial history) when the task is reset."""

    def new_trial(self, **overrides: Any) -> dict[str, Any]:
        """Start the task's next trial; subclasses add variable overrides or edit the trial."""
        return self.draw_next(**overrides)


def trial_values(task: TrialEnv, variable: str, values: Sequence[Any] | None, columns: int) -> list[Any]:
    """The values of trial variable `variable` that the columns of a probability matrix refer to.

    Without `values`, they are the distinct values in 512 trials drawn with a private
    generator (the task's own stream is not touched), sorted; their number must match the
    matrix. A variable with rare values, or a continuous one, needs explicit `values`.
    """
    names = list(getattr(type(task), "trial_variables", ()))
    if variable not in names:
        raise ValueError(f"{task.task_name} has no trial variable '{variable}' (its variables: {names})")
    if values is None:
        drawn = task.generate(np.random.default_rng(0), 512).variables[variable]
        values = np.unique(drawn).tolist()
        if len(values) != columns:
            raise ValueError(
                f"{task.task_name}.{variable} took {len(values)} distinct values {values[:10]} in 512"
                f" trials, but the probabilities have {columns} columns; pass values=[...]"
            )
    values = [v.item() if hasattr(v, "item") else v for v in values]
    if len(values) != columns or len(set(values)) != len(values):
        raise ValueError(f"values must be {columns} distinct values, one per probability column, got {values}")
    return values


def probability_rows(probs: Any, square: bool = False) -> np.ndarray:
    """`probs` as a 2-D float array whose rows are probability distributions, or a ValueError."""
    matrix = np.asarray(probs, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] < 1 or (square and matrix.shape[0] != matrix.shape[1]):
        shape = "a square matrix" if square else "a 2-D matrix (rows: blocks, columns: values)"
        raise ValueError(f"probs must be {shape}, got shape {matrix.shape}")
    if np.any(matrix < 0) or not np.allclose(matrix.sum(axis=1), 1.0, atol=1e-8):
        raise ValueError(f"each row of probs must be non-negative and sum to 1, got row sums {matrix.sum(axis=1)}")
    return matrix / matrix.sum(axis=1, keepdims=True)
