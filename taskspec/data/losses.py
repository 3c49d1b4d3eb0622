"""Yang et al. (2019)'s training loss and performance measure, for the `yang19paper` family.

The loss is written once with array methods only (`*`, `**`, `.sum()`), so the same function
takes NumPy arrays, torch tensors or JAX arrays and returns a value of that library (and torch's
autograd and `jax.grad` differentiate through it); nothing here imports torch or JAX.

Yang's cost mask multiplies the error *before* squaring (gyyang/multitask network.py:
`reduce_mean(square((y - y_hat) * c_mask))`), so a step of weight 5 counts 25 times a step of
weight 1, and the fixation output (mask doubled) 4 times. Weighing the squared error linearly by
the same mask (5x, 2x) is a different loss.

    batch = taskspec.generate_trials("yang19paper.dm1", 64)
    loss = yang_loss(output, batch.regression, batch.weight, batch.mask)   # output: sigmoid of the readout

`yang_performance` is Yang's `get_perf`: at a trial's last step, a trial whose target is to fixate
is correct if the fixation output exceeds 0.5; any other trial is correct if the fixation output
is at most 0.5 and the population-vector angle of the ring outputs is within 0.2 pi of the target
angle. It reads NumPy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOLERANCE = 0.2 * np.pi  # Yang's get_perf: a response within this angle of the target is correct
GO_THRESHOLD = 0.1  # a regression ring target above this marks a response step (targets are 0.05 or a 0.8 bump)


def yang_loss(output: Any, target: Any, weight: Any, mask: Any = None) -> Any:
    """Mean over real steps and output columns of ((target - output) * weight) ** 2.

    `output`, `target`, `weight`: (batch, steps, columns), of one library (NumPy, torch or JAX);
    `weight` may also be (batch, steps). `mask`: (batch, steps) True on real steps, or None when
    no trial is padded. Yang's batches are never padded and his mean runs over every cell; here
    padded steps (weight 0) are left out of the count, so the value equals his for unpadded batches.
    """
    if weight.ndim == output.ndim - 1:
        weight = weight[..., None]
    error = ((target - output) * weight) ** 2
    columns = output.shape[-1]
    cells = output.shape[0] * output.shape[1] if mask is None else mask.sum()
    return error.sum() / (cells * columns)


def popvec(ring: np.ndarray) -> np.ndarray:
    """The population-vector angle in [0, 2 pi) of activity on a ring of units (last axis)."""
    ring = np.asarray(ring, np.float64)
    pref = np.arange(ring.shape[-1]) * (2 * np.pi / ring.shape[-1])
    angle = np.mod(np.arctan2(ring @ np.sin(pref), ring @ np.cos(pref)), 2 * np.pi)
    return np.where(angle >= 2 * np.pi, 0.0, angle)  # type: ignore[no-any-return]  # mod(-1e-17) rounds to 2 pi


def target_angle(regression_last: np.ndarray) -> np.ndarray:
    """Yang's `y_loc` at a step from its regression target (batch, 1 + ring): the response angle, or -1
    where the target is to fixate (the ring target is the 0.05 baseline only)."""
    ring = np.asarray(regression_last, np.float64)[..., 1:]
    go = ring.max(axis=-1) > GO_THRESHOLD
    return np.where(go, popvec(ring - 0.05), -1.0)  # type: ignore[no-any-return]


def yang_performance(output_last: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Yang's get_perf per trial (1.0 or 0.0) from the outputs at the last step (batch, 1 + ring) and
    the target angle there (batch,), -1 for fixation (see `target_angle`)."""
    output_last = np.asarray(output_last, np.float64)
    angle = np.asarray(angle, np.float64)
    fixating = output_last[..., 0] > 0.5
    distance = np.abs(angle - popvec(output_last[..., 1:])) % (2 * np.pi)
    near = np.minimum(distance, 2 * np.pi - distance) < TOLERANCE
    should_fix = angle < 0
    return np.where(should_fix, fixating, near & ~fixating).astype(np.float64)  # type: ignore[no-any-return]


def last_steps(array: np.ndarray, length: np.ndarray) -> np.ndarray:
    """array[i, length[i] - 1] for every trial i of a padded batch: (batch, ...)."""
    return array[np.arange(len(length)), np.asarray(length) - 1]  # type: ignore[no-any-return]
