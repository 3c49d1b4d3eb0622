"""What a JAX env carries between calls, as pytrees: `EnvParams` (what may change without
recompiling) and `EnvState` (one env between steps). Trial batches (`runtime.Batch`) are
registered here too, so they leave `jit` as the same Batch the NumPy backend returns."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np

from ..runtime import Batch


@dataclasses.dataclass(frozen=True)
class EnvParams:
    """What may change between calls without recompiling: the reward values, by name, and gymnax's
    time limit: `step` reports `truncated` when an episode reaches that many steps (None: the env's
    own default, `JaxEnv.max_steps_in_episode`)."""

    rewards: dict[str, Any]
    max_steps_in_episode: Any = None


@dataclasses.dataclass(frozen=True)
class EnvState:
    """One env between steps: the current trial and where in it the agent is."""

    t_ind: jax.Array  # the step the next action answers
    length: jax.Array  # steps of the current trial
    start: dict[str, jax.Array]  # period -> first step
    end: dict[str, jax.Array]  # period -> step after its last
    variables: dict[str, jax.Array]  # session, trial and initial state variables of the trial
    state: dict[str, jax.Array]  # state variables now
    session: dict[str, jax.Array]  # session variables after this trial
    performance: jax.Array
    # agent-contingent tasks: the trial so far, and the finished one as session variables read it (flow.py)
    trial_reward: jax.Array  # the trial's reward so far, a timeout's included (`last_reward`), as in NumPy
    choice: jax.Array  # the action that ended the trial or made it goto a period (-1: none yet)
    choice_t: jax.Array  # its time in ms (-1: none)
    history: dict[str, jax.Array]  # last_performance, ..., trials_done; empty unless session variables read them
    time: Any = np.int32(0)  # steps into the episode, for gymnax's time limit (set by step_env and reset_env)


jax.tree_util.register_dataclass(EnvParams, data_fields=["rewards", "max_steps_in_episode"], meta_fields=[])
jax.tree_util.register_dataclass(
    EnvState,
    data_fields=[
        "t_ind",
        "length",
        "start",
        "end",
        "variables",
        "state",
        "session",
        "performance",
        "trial_reward",
        "choice",
        "choice_t",
        "history",
        "time",
    ],  # fmt: skip
    meta_fields=[],
)
try:  # trial batches leave `jit` as the same Batch the NumPy backend returns
    jax.tree_util.register_dataclass(
        Batch,
        data_fields=["ob", "gt", "length", "variables", "start", "end", "period_id", "weight", "regression"],
        meta_fields=[],
    )
except ValueError:  # already registered (the module was imported again)
    pass
