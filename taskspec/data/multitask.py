"""Several tasks as one source of trials: one aligned layout, a mixing rule and a rule input.

    mix = TaskMix("yang19")                       # the 20 yang19 tasks, drawn uniformly
    batch = taskspec.generate_trials(mix, 512, seed=0)
    batch.ob[..., mix.observation_space.name["rule"]]   # the one-hot of each trial's task

The observation columns of all tasks are aligned by group name (the union of the groups, in
the order first seen; a group must have one width in every task), padded with zeros where a
task lacks a group; `rule` (a one-hot of the task, on during the whole trial) follows. All
tasks share one action space, so one policy head answers them all. Trials are padded in time
to the longest; `batch.variables["task"]` is each trial's task, and the trial variables of
the tasks are merged by name (NaN where a task has no such variable).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ..library import as_env, list_tasks
from ..runtime import Batch, NamedBox, TrialEnv
from ..runtime.source import TrialSource
from ..runtime.weights import loss_weight

RULES = ("uniform", "sequential")
TASK = "task"  # the variable naming each trial's task


def family(name: str) -> list[str]:
    """The bundled tasks of a family: those tagged `name`, else those named `name.<variant>`."""
    tagged = list_tasks(tag=name)
    return tagged or [t for t in list_tasks() if t.startswith(name + ".")]


def _resolve(tasks: Any, params: Mapping[str, Any]) -> tuple[list[TrialEnv], list[str]]:
    if isinstance(tasks, (str, Path)):
        as_name = str(tasks)
        members = family(as_name) if as_name not in list_tasks() else []
        tasks = members or [tasks]
    elif isinstance(tasks, Mapping):
        tasks = list(tasks)
    elif not isinstance(tasks, Sequence) or not tasks:
        raise TypeError(
            "tasks must be a family name (e.g. 'yang19'), or a list of task names, spec paths or envs; "
            f"got {tasks!r:.80}"
        )
    envs = [_env(t, params) for t in tasks]
    return envs, [env.task_name for env in envs]


def _env(task: Any, params: Mapping[str, Any]) -> TrialEnv:
    if isinstance(task, gym.Env):
        return as_env(task, None)
    if isinstance(task, type) and issubclass(task, TrialEnv):  # a compiled class, e.g. from load_text
        return task(**params)
    return as_env(task, dict(params))


class Layout:
    """Where each task's observation groups and periods go in the shared layout."""

    def __init__(self, envs: Sequence[gym.Env], names: Sequence[str], rule_group: str | None):
        spaces = [env.observation_space for env in envs]
        widths: dict[str, int] = {}
        for space, name in zip(spaces, names, strict=True):
            groups = getattr(space, "name", None)
            if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1 or not groups:
                raise ValueError(f"a task mix needs 1-D observations with named groups; {name} has {space}")
            for group, cols in groups.items():
                width = len(np.atleast_1d(cols))
                if widths.setdefault(group, width) != width:
                    raise ValueError(
                        f"observation group {group!r} has {widths[group]} columns in one task and {width} in {name}: "
                        "tasks of a mix must agree on the width of a shared group"
                    )
        if rule_group is not None and rule_group in widths:
            raise ValueError(f"the rule input group {rule_group!r} is already an observation group of a task")
        self.groups: dict[str, list[int]] = {}
        at = 0
        for group, width in widths.items():
            self.groups[group] = list(range(at, at + width))
            at += width
        self.width = at
        self.rule = None if rule_group is None else list(range(at, at + len(envs)))
        if rule_group is not None:
            self.groups[rule_group] = self.rule  # type: ignore[assignment]
        # task j's column c goes to union column columns[j][c]
        self.columns = [_in_task_order(space, self.groups) for space in spaces]
        self.observation_space = NamedBox(-np.inf, np.inf, shape=(self.size,), dtype=np.float32)
        self.observation_space.name = {g: c[0] if len(c) == 1 else c for g, c in self.groups.items()}
        _check_same_actions(envs, names)
        self.action_space = copy.deepcopy(envs[0].action_space)
        periods: dict[str, None] = {}
        for env in envs:
            periods.update(dict.fromkeys(getattr(env.unwrapped, "period_after", ())))
        self.periods = list(periods)
        self.period_tables = [
            np.array([self.periods.index(p) for p in getattr(env.unwrapped, "period_after", ())] + [-1], np.int16)
            for env in envs
        ]

    @property
    def size(self) -> int:
        return self.width + (len(self.rule) if self.rule else 0)

    def place(self, ob: np.ndarray, j: int) -> np.ndarray:
        """Observations of task j (..., its columns) in the shared layout (..., size), rule input off."""
        out = np.zeros((*ob.shape[:-1], self.size), np.float32)
        out[..., self.columns[j]] = ob
        return out


def _in_task_order(space: Any, groups: dict[str, list[int]]) -> np.ndarray:
    """For each of the task's columns, its column in the union."""
    index = np.empty(int(space.shape[0]), np.intp)
    for group, cols in space.name.items():
        index[np.atleast_1d(cols)] = groups[group]
    return index


def _check_same_actions(envs: Sequence[gym.Env], names: Sequence[str]) -> None:
    first = envs[0].action_space
    for env, name in zip(envs[1:], names[1:], strict=False):
        if env.action_space != first:  # equal spaces: action i of one task is action i of all (names aside)
            raise ValueError(
                f"the tasks of a mix need one action space (one policy head answers them all): {names[0]} has "
                f"{first}, {name} has {env.action_space}"
            )


class Chooser:
    """Which task each next trial comes from: uniform, by weights, in turn, or a NeuroGym schedule object.

    A schedule object is anything NeuroGym's `RandomSchedule(n)` / `SequentialSchedule(n)` look like:
    called with no argument it returns the next task's index; `seed(s)`, if it has one, is called
    with a number drawn from the generator the first time it is used, so results stay seeded.
    """

    def __init__(self, rule: Any, names: Sequence[str]):
        self.n, self.names = len(names), list(names)
        self.p: np.ndarray | None = None
        self.schedule: Callable[[], Any] | None = None
        self.kind = "uniform"
        self.turn = 0
        self.seeded = False
        if isinstance(rule, str):
            if rule not in RULES:
                raise ValueError(f"mix must be one of {RULES}, weights or a schedule object, got {rule!r}")
            self.kind = rule
        elif isinstance(rule, Mapping):
            unknown = sorted(set(rule) - set(names))
            if unknown:
                raise ValueError(f"mix weights name tasks not in the mix: {unknown}")
            self.p = self._weights([rule.get(name, 0) for name in names])
            self.kind = "weights"
        elif callable(rule):
            self.schedule, self.kind = rule, "schedule"
            if getattr(rule, "n", self.n) != self.n:
                raise ValueError(f"the schedule is for {rule.n} tasks, the mix has {self.n}")
        elif isinstance(rule, Sequence | np.ndarray):
            if len(rule) != self.n:
                raise ValueError(f"mix has {len(rule)} weights for {self.n} tasks")
            self.p = self._weights(list(rule))
            self.kind = "weights"
        else:
            raise TypeError(f"mix must be 'uniform', 'sequential', weights or a schedule object, got {rule!r:.80}")

    @staticmethod
    def _weights(values: list[Any]) -> np.ndarray:
        p = np.asarray(values, np.float64)
        if p.ndim != 1 or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
            raise ValueError(f"mix weights must be numbers >= 0, not all 0; got {values!r:.80}")
        return p / p.sum()

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "uniform":
            return rng.integers(self.n, size=n)
        if self.kind == "weights":
            return rng.choice(self.n, size=n, p=self.p)
        if self.kind == "sequential":
            out = (self.turn + np.arange(n)) % self.n
            self.turn = int(out[-1] + 1) % self.n if n else self.turn
            return out
        if not self.seeded and hasattr(self.schedule, "seed"):
            self.schedule.seed(int(rng.integers(2**31)))  # type: ignore[union-attr]
        self.seeded = True
        out = np.array([int(self.schedule()) for _ in range(n)], np.int64)  # type: ignore[misc]
        if n and (out.min() < 0 or out.max() >= self.n):
            raise ValueError(f"the schedule returned a task index outside 0..{self.n - 1}")
        return out


class TaskMix(TrialSource[np.random.Generator]):
    """Tasks mixed trial by trial, with one aligned layout: `generate_trials`, `Dataset` and the
    torch adapter take it wherever they take a task (it is a `runtime.source.TrialSource`).

    `tasks`: a family (a tag such as "yang19" or "multitask", or a prefix `family.`), a list of task
    names, spec paths, compiled classes or envs, or a dict {task: weight}. `mix`: "uniform"
    (default), "sequential", weights (a list, or the dict given as `tasks`), or a NeuroGym schedule
    object (`RandomSchedule(n)`). `rule_input`: True adds a one-hot of the task as the observation
    group "rule" (a string names the group instead); False adds none, for tasks whose specs declare
    their own context input (groups are aligned by name, so a shared context group lines up).
    `params` go to every task (each must have them).
    """

    has_target = True

    def __init__(self, tasks: Any, mix: Any = None, rule_input: bool | str = True, **params: Any):
        self.envs, self.names = _resolve(tasks, params)
        if mix is None:
            mix = dict(tasks) if isinstance(tasks, Mapping) else "uniform"
        self.rule_input = rule_input
        self.layout = Layout(self.envs, self.names, _rule_group(rule_input))
        self.chooser = Chooser(mix, self.names)
        for env in self.envs:
            if not env.has_target:
                raise ValueError(f"{env.task_name} defines no ground truth ('target'), so it has no supervised data")
            if TASK in env.trial_variables:
                raise ValueError(f"{env.task_name} has a trial variable named {TASK!r}, which a mix uses for the task")
        self.task_name = "+".join(self.names)
        self.observation_space = self.layout.observation_space
        self.action_space = self.layout.action_space
        self.action_type = self.envs[0].action_type
        self.dt = self.envs[0].dt
        self.period_names = self.layout.periods

    def __repr__(self) -> str:
        return f"TaskMix({self.names}, mix={self.chooser.kind!r})"

    def private(self) -> TaskMix:
        """A copy with its own task copies (fresh sessions) and schedule, for one generator."""
        clone = copy.copy(self)
        clone.envs = [env.private() for env in self.envs]
        clone.chooser = copy.deepcopy(self.chooser)
        return clone

    def generate(self, rng: np.random.Generator, n: int) -> Batch:
        """`n` trials: tasks drawn by the mixing rule, each task's trials built together, then aligned."""
        which = self.chooser.draw(rng, n)
        parts = [(j, np.flatnonzero(which == j)) for j in range(len(self.envs))]
        parts = [(j, rows) for j, rows in parts if len(rows)]
        batches = {j: self.envs[j].generate(rng, len(rows)) for j, rows in parts}
        steps = max((b.ob.shape[1] for b in batches.values()), default=1)
        lay = self.layout
        ob = np.zeros((n, steps, lay.size), np.float32)
        first = self.envs[0]
        gt_tail = () if first.action_type == "discrete" else batches[parts[0][0]].gt.shape[2:]
        gt = np.zeros((n, steps, *gt_tail), np.int64 if first.action_type == "discrete" else np.float64)
        length = np.zeros(n, np.int64)
        period_id = np.full((n, steps), -1, np.int16)
        weights = {j: loss_weight(self.envs[j], b.start, b.end, b.length, b.ob.shape[1]) for j, b in batches.items()}
        wide = max((w.ndim for w in weights.values()), default=2) == 3
        act = next((w.shape[2] for w in weights.values() if w.ndim == 3), 0)
        weight = np.zeros((n, steps, act) if wide else (n, steps), np.float32)
        # Regression targets when every task drawn has them (tasks share one action space, so one width).
        regress = all(b.regression is not None for b in batches.values()) and bool(batches)
        regression = np.zeros((n, steps, gt_width(first)), np.float32) if regress else None
        for j, rows in parts:
            b, t = batches[j], batches[j].ob.shape[1]
            if regression is not None:
                regression[rows, :t] = b.regression
            ob[rows, :t] = lay.place(b.ob, j)
            gt[rows, :t] = b.gt
            length[rows] = b.length
            period_id[rows, :t] = lay.period_tables[j][b.period_id]
            w = weights[j]
            weight[rows, :t] = w[:, :, None] if wide and w.ndim == 2 else w
        if lay.rule is not None:
            inside = np.arange(steps)[None, :] < length[:, None]
            ob[np.arange(n)[:, None], np.arange(steps)[None, :], np.asarray(lay.rule)[which][:, None]] = inside
        variables = _merge_variables(n, [(rows, batches[j].variables) for j, rows in parts])
        variables[TASK] = which.astype(np.int64)
        start, end = {}, {}
        for name in lay.periods:
            start[name], end[name] = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
            for j, rows in parts:
                if name in batches[j].start:
                    start[name][rows], end[name][rows] = batches[j].start[name], batches[j].end[name]
        return Batch(ob, gt, length, variables, start, end, period_id, weight, regression)


def gt_width(env: TrialEnv) -> int:
    """Columns of the action space: a regression target has one per action column."""
    space = env.action_space
    return int(space.n) if env.action_type == "discrete" else int(np.prod(space.shape or (1,)))  # type: ignore


def _rule_group(rule_input: bool | str) -> str | None:
    if rule_input is True:
        return "rule"
    if rule_input is False or rule_input is None:
        return None
    if isinstance(rule_input, str) and rule_input:
        return rule_input
    raise TypeError(f"rule_input must be True, False or a group name, got {rule_input!r:.60}")


def _merge_variables(n: int, parts: list[tuple[np.ndarray, dict[str, np.ndarray]]]) -> dict[str, np.ndarray]:
    """Trial variables merged by name; NaN where a trial's task has none. Names whose shape differs
    between tasks are left out (their values cannot share one array)."""
    shapes: dict[str, tuple[int, ...] | None] = {}
    for _, variables in parts:
        for name, values in variables.items():
            shape = values.shape[1:]
            shapes[name] = shape if shapes.get(name, shape) == shape else None
    merged: dict[str, np.ndarray] = {}
    for name, known in shapes.items():
        if known is None:
            continue
        shape = known
        present = [(rows, v[name]) for rows, v in parts if name in v]
        complete = sum(len(rows) for rows, _ in present) == n
        dtype = np.result_type(*(values.dtype for _, values in present))
        if not complete:
            dtype = np.result_type(dtype, np.float64)
        out = np.full((n, *shape), np.nan if not complete else 0, dtype)
        for rows, values in present:
            out[rows] = values
        merged[name] = out
    return merged


def as_mix(task: Any, params: Mapping[str, Any]) -> TaskMix | None:
    """The mix behind `task` when it names several tasks (a TaskMix, a ScheduleEnvs, a list or dict of
    tasks, a family name), else None: then it is a single task."""
    if isinstance(task, TaskMix):
        if params:
            raise ValueError("parameters go to TaskMix(..., **params) when the mix is made, not here")
        return task
    if callable(getattr(task, "task_mix", None)):  # ScheduleEnvs: the same tasks, schedule and rule input
        if params:
            raise ValueError("parameters go to the envs when they are made; a ScheduleEnvs takes none here")
        return task.task_mix()  # type: ignore[no-any-return]
    if isinstance(task, (list, tuple, Mapping)):
        return TaskMix(task, **params)
    if isinstance(task, str) and task not in list_tasks() and not Path(task).exists() and family(task):
        return TaskMix(task, **params)
    return None
