"""Sizes a caller asks for, budgeted like the sizes a spec asks for (docs/limits.md).

A spec's sizes are checked before anything is allocated; the sizes a caller passes are the
other half of the same products: `generate_trials(task, n)` holds n padded trials at once,
`Dataset(batch_size=..., seq_len=...)` a cache of windows, `taskspec.jax.generate_trials` a
device batch. Each is checked against the batch budget of the runtime (`MAX_BATCH_BYTES`,
2 GiB) before the arrays are made, and an excess is one sentence naming the argument and the
limit: a `ValueError`, like the other mistakes in a caller's arguments (`n=0`, `num_envs=0`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime.trials import CELL_BYTES, MAX_BATCH_BYTES, OB_BYTES


def whole_number(argument: str, value: Any, least: int = 1) -> int:
    """`value` as an int if it is a whole number of at least `least` (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{argument} must be a whole number of at least {least}, got {value!r}")
    return int(value)


def kept_step_bytes(env: Any) -> int:
    """Bytes one step of one trial holds in a padded result: float32 observations, the target
    (int64, or a float64 per action column), an int64 period id and a float32 loss weight per target value."""
    n_obs = int(env.observation_space.shape[0])
    targets = int(env.action_space.shape[0]) if env.action_type == "continuous" else 1
    return 4 * n_obs + 12 * targets + 8


def built_step_bytes(n_obs: int, n_vec: int) -> int:
    """Bytes per trial and step while a batch is built in one piece, as the runtime's batch budget counts them."""
    return OB_BYTES * n_obs + 8 * n_vec + CELL_BYTES


def check_bytes(arguments: str, what: str, need: int, advice: str) -> None:
    """Refuse `need` bytes beyond the budget, in one sentence that starts with the caller's arguments."""
    if need > MAX_BATCH_BYTES:
        raise ValueError(
            f"{arguments}: {what} would need {need / 2**30:,.2f} GiB, more than the "
            f"{MAX_BATCH_BYTES / 2**30:g} GiB allowed for arrays built at once; {advice}"
        )
