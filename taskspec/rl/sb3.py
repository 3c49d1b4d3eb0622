"""stable-baselines3: taskspec's native vector env as an SB3 `VecEnv` (`pip install 'taskspec[rl]'`).

SB3 accepts only its own `VecEnv` class, so it would otherwise step N single envs through
`DummyVecEnv`, one Python call per env and step. `taskspec.rl.sb3.VecEnv` steps all N as
arrays (`TrialVectorEnv`) and speaks SB3's protocol:

    from stable_baselines3 import PPO
    from taskspec.rl.sb3 import VecEnv
    model = PPO("MlpPolicy", VecEnv("PerceptualDecisionMaking", num_envs=64, seed=0)).learn(100_000)

Trials are reported as SB3 episodes: at each trial's end the env's info carries
`episode = {"r": return of the trial, "l": its steps, "t": seconds since start}`, as SB3's
`Monitor` would, which SB3 logs as `ep_rew_mean`/`ep_len_mean`.

On continuing tasks (the default: the session goes on from trial to trial) each trial's end is
also `done`, as a truncated episode (`info["TimeLimit.truncated"]`, with `terminal_observation`
the observation the session goes on with): SB3 counts episodes by `done` (`evaluate_policy`
would wait forever for one), and PPO and A2C bootstrap a truncated episode's return with the
value of that observation, so the value of what follows a trial is kept. What a `done` does
reset is a recurrent policy's memory (RecurrentPPO starts each trial afresh): for tasks whose
trials depend on earlier ones (blocks, history), `trials_as_episodes=False` keeps the memory
and reports trials through `info["episode"]` only (then `evaluate_policy` cannot count them).

With `episode="trial"` (or a spec with `episode: trial`) each trial is a real episode: `done` is
True at its end (terminated, not truncated), with `terminal_observation`, and the sub-env moves
on to its next trial, as SB3 expects; those sub-envs are stepped one by one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv as _SB3VecEnv

from ..library import load, load_text
from ..runtime import TrialEnv
from ..runtime.vector import TrialVectorEnv


class VecEnv(_SB3VecEnv):
    """`num_envs` sub-envs of one task for SB3; sub-env i is seeded `seed + i`, as gymnasium's vector envs."""

    def __init__(
        self,
        task: str | Path | None = None,
        num_envs: int = 8,
        *,
        spec_text: str | None = None,
        seed: int | None = None,
        episode: str | None = None,
        trials_as_episodes: bool = True,
        **params: Any,
    ):
        if (task is None) == (spec_text is None):
            raise TypeError("give a task name or path, or spec_text=..., but not both")
        cls = load(task) if spec_text is None else load_text(spec_text)  # type: ignore[arg-type]
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        self.episodic = (episode or cls.episode) == "trial"
        self.trials_as_episodes = trials_as_episodes
        if self.episodic:
            self.envs: list[TrialEnv] = [cls(episode="trial", **params) for _ in range(num_envs)]
            self.vector: TrialVectorEnv | None = None
            template = self.envs[0]
        else:
            self.vector = TrialVectorEnv(cls, num_envs, **params)
            self.envs = []
            template = self.vector.env
        self.template = template
        super().__init__(num_envs, template.observation_space, template.action_space)
        if seed is not None:
            self.seed(seed)
        self._returns = np.zeros(num_envs)
        self._lengths = np.zeros(num_envs, np.int64)
        self._started = time.perf_counter()

    def reset(self) -> np.ndarray:
        seeds = None if self._seeds[0] is None else [int(s) for s in self._seeds]  # type: ignore[arg-type]
        self._reset_seeds()
        self._returns[:] = 0
        self._lengths[:] = 0
        if self.vector is not None:
            return np.asarray(self.vector.reset(seed=seeds)[0])
        return np.stack([env.reset(seed=None if seeds is None else seeds[i])[0] for i, env in enumerate(self.envs)])

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self.vector is not None:
            obs, rewards, _, _, info = self.vector.step(self._actions)
            ended = info["new_trial"]
            dones = ended.copy() if self.trials_as_episodes else np.zeros(self.num_envs, bool)
            infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
            for i in np.flatnonzero(dones).tolist():  # a truncated episode: the session goes on from obs[i]
                infos[i] = {"terminal_observation": obs[i].copy(), "TimeLimit.truncated": True}
            performance = info.get("performance")
        else:
            obs, rewards, dones, infos, ended, performance = self._step_envs()
        self._returns += rewards
        self._lengths += 1
        if ended.any():  # SB3 reads info["episode"] whether or not the episode ends
            elapsed = round(time.perf_counter() - self._started, 6)
            for i in np.flatnonzero(ended).tolist():
                infos[i]["episode"] = {"r": float(self._returns[i]), "l": int(self._lengths[i]), "t": elapsed}
                if performance is not None:
                    infos[i]["performance"] = float(performance[i])
            self._returns[ended] = 0
            self._lengths[ended] = 0
        return obs, rewards.astype(np.float32), dones, infos

    def _step_envs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]], np.ndarray, np.ndarray]:
        """Episodic sub-envs, one by one; an ended one starts its next trial at once (SB3's autoreset)."""
        obs, infos = [], []
        rewards = np.zeros(self.num_envs)
        dones = np.zeros(self.num_envs, bool)
        performance = np.zeros(self.num_envs)
        for i, (env, action) in enumerate(zip(self.envs, self._actions, strict=True)):
            ob, rewards[i], terminated, truncated, info = env.step(action)
            entry: dict[str, Any] = {}
            if terminated or truncated:
                dones[i], performance[i] = True, info.get("performance", 0.0)
                entry["terminal_observation"] = ob
                entry["TimeLimit.truncated"] = bool(truncated and not terminated)
                ob, _ = env.reset()
            obs.append(ob)
            infos.append(entry)
        return np.stack(obs), rewards, dones, infos, dones.copy(), performance

    def close(self) -> None:
        if self.vector is not None:
            self.vector.close()

    def _targets(self, indices: Any) -> list[TrialEnv]:
        """The sub-envs at `indices`; the native vector env has one env object for all of them."""
        return [self.envs[i] if self.episodic else self.template for i in self._get_indices(indices)]

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(env, attr_name) for env in self._targets(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        if not self.episodic:
            raise AttributeError(
                "the sub-envs of the native vector env share one env object; set attributes "
                "through make-time parameters instead"
            )
        for env in self._targets(indices):
            setattr(env, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
        return [getattr(env, method_name)(*method_args, **method_kwargs) for env in self._targets(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        # The sub-envs report `info["episode"]` themselves, as SB3's Monitor does: `evaluate_policy`
        # asks for Monitor to know it may read episode returns from there.
        from stable_baselines3.common.monitor import Monitor

        return [wrapper_class is Monitor for _ in self._get_indices(indices)]
