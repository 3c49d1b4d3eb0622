"""A native vector env over a task mix, for reinforcement learning on several tasks at once.

Each sub-env is given one task (in turn: sub-env i runs task i mod k, or in proportion to
weights); the sub-envs of one task are stepped together by that task's native
`TrialVectorEnv`, and their observations are placed in the mix's aligned layout (groups by
name, then the one-hot `rule` group), so one policy acts in all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space

from ..data.multitask import TaskMix
from ..runtime.vector import TrialVectorEnv, sub_env_seeds


class MixVectorEnv(gym.vector.VectorEnv):
    """`num_envs` sub-envs over the tasks of a mix; `task_of[i]` is sub-env i's task.

    `tasks` is anything `TaskMix` takes (a family name, a list of tasks, a TaskMix; its
    `rule_input` applies). `weights` (one per task) share the sub-envs out in proportion,
    each task getting at least one; by default they go round the tasks in turn. Sub-env i is
    seeded `seed + i`, as gymnasium seeds vector envs. `info["task"]` is each sub-env's task;
    the other infos are those of a taskspec vector env, merged (trial variables by name).
    """

    def __init__(self, tasks: Any, num_envs: int, weights: Sequence[float] | None = None, **params: Any):
        mix = tasks if isinstance(tasks, TaskMix) else TaskMix(tasks, **params)
        self.mix = mix
        k = len(mix.envs)
        if not isinstance(num_envs, int) or num_envs < k:
            raise ValueError(f"num_envs must be a whole number of at least the {k} tasks of the mix, got {num_envs!r}")
        self.task_of = _assign(num_envs, k, weights)
        self.num_envs = num_envs
        self.parts = []
        for j, env in enumerate(mix.envs):
            rows = np.flatnonzero(self.task_of == j)
            self.parts.append((rows, TrialVectorEnv(type(env), len(rows), **_made_with(env))))
        self.single_observation_space = mix.observation_space
        self.single_action_space = mix.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.metadata = dict(TrialVectorEnv.metadata)

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None) -> Any:
        seeds = sub_env_seeds(seed, self.num_envs)
        obs = [vec.reset(seed=_seeds(seeds, rows))[0] for rows, vec in self.parts]
        return self._place(obs), {"task": self.task_of.copy()}

    def step(self, actions: Any) -> Any:
        actions = np.asarray(actions)
        reward = np.zeros(self.num_envs)
        obs, infos = [], []
        for rows, vec in self.parts:
            ob, r, _, _, info = vec.step(actions[rows])
            obs.append(ob)
            reward[rows] = r
            infos.append(info)
        none = np.zeros(self.num_envs, bool)
        return self._place(obs), reward, none, none.copy(), self._merge(infos)

    def _place(self, obs: list[np.ndarray]) -> np.ndarray:
        lay = self.mix.layout
        out = np.zeros((self.num_envs, lay.size), np.float32)
        for j, ((rows, _), ob) in enumerate(zip(self.parts, obs, strict=True)):
            out[rows[:, None], lay.columns[j][None, :]] = ob
            if lay.rule is not None:
                out[rows, lay.rule[j]] = 1.0
        return out

    def _merge(self, infos: list[dict[str, Any]]) -> dict[str, Any]:
        merged: dict[str, Any] = {"task": self.task_of.copy()}
        for key in {k for info in infos for k in info if k != "trial"}:
            values = [info.get(key) for info in infos]
            if key.startswith("_"):
                out = np.zeros(self.num_envs, bool)
            else:
                kind = next(v for v in values if v is not None)
                out = np.zeros(self.num_envs, kind.dtype) if kind.dtype != object else np.empty(self.num_envs, object)
            for (rows, _), value in zip(self.parts, values, strict=True):
                if value is not None:
                    out[rows] = value
            merged[key] = out
        trials = [info.get("trial") for info in infos]
        if any(t is not None for t in trials):
            names = {name for t in trials if t for name, v in t.items() if np.ndim(v) == 1}
            merged["trial"] = {name: np.full(self.num_envs, np.nan) for name in names}
            for (rows, _), trial in zip(self.parts, trials, strict=True):
                for name, value in (trial or {}).items():
                    if name in names and np.ndim(value) == 1:
                        merged["trial"][name][rows] = value
        return merged

    def close_extras(self, **kwargs: Any) -> None:
        for _, vec in self.parts:
            vec.close()


def _assign(num_envs: int, k: int, weights: Sequence[float] | Mapping[str, float] | None) -> np.ndarray:
    """Which task each sub-env runs: in turn, or in proportion to `weights` (at least one sub-env each)."""
    if weights is None:
        return np.arange(num_envs) % k
    w = np.asarray(list(weights), np.float64)
    if w.shape != (k,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"weights must be {k} positive numbers, one per task; got {weights!r:.80}")
    counts = np.ones(k, np.int64) + np.floor(w / w.sum() * (num_envs - k)).astype(np.int64)
    counts[np.argsort(-w)[: num_envs - counts.sum()]] += 1  # the remainder to the heaviest tasks
    return np.repeat(np.arange(k), counts)


def _seeds(seeds: list[int | None], rows: np.ndarray) -> list[int] | None:
    picked = [seeds[i] for i in rows]
    return None if any(s is None for s in picked) else [int(s) for s in picked if s is not None]


def _made_with(env: Any) -> dict[str, Any]:
    """Keyword arguments that make another env like `env`: its parameters, dt, rewards and timing overrides."""
    return {**env.params, "dt": env.dt, "rewards": dict(env.rewards), "timing": dict(env.timing_overrides)}
