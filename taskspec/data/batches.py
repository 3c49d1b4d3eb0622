"""Padded batches of trials cut, joined and laid flat: what `generate_trials`, `Dataset` and the
exports do with the `Batch`es the runtime builds."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime.trials import Batch
from ..runtime.weights import loss_weight


def with_weight(env: Any, batch: Batch) -> Batch:
    """`batch` with its loss weights (a mix fills them itself)."""
    if batch.weight is None:
        batch.weight = loss_weight(env, batch.start, batch.end, batch.length, batch.ob.shape[1])
    return batch


def head(batch: Batch, n: int) -> Batch:
    """The first `n` trials of a batch, padding trimmed to the longest of them."""
    return rows(batch, slice(0, n))


def rows(batch: Batch, part: slice) -> Batch:
    """The trials `part` (a slice without step) of a batch, padding trimmed to the longest of them."""
    longest = int(batch.length[part].max())
    return Batch(
        batch.ob[part, :longest],
        batch.gt[part, :longest],
        batch.length[part],
        {k: v[part] for k, v in batch.variables.items()},
        {k: v[part] for k, v in batch.start.items()},
        {k: v[part] for k, v in batch.end.items()},
        batch.period_id[part, :longest],
        None if batch.weight is None else batch.weight[part, :longest],
        None if batch.regression is None else batch.regression[part, :longest],
    )


def concatenate(chunks: list[Batch]) -> Batch:
    """Batches stacked along the trial axis, padded to the longest trial."""
    longest = max(c.ob.shape[1] for c in chunks)

    def pad(a: np.ndarray, fill: int = 0) -> np.ndarray:
        widths = [(0, 0)] * a.ndim
        widths[1] = (0, longest - a.shape[1])
        return np.pad(a, widths, constant_values=fill)

    return Batch(
        ob=np.concatenate([pad(c.ob) for c in chunks]),
        gt=np.concatenate([pad(c.gt) for c in chunks]),
        length=np.concatenate([c.length for c in chunks]),
        variables={k: np.concatenate([c.variables[k] for c in chunks]) for k in chunks[0].variables},
        start={k: np.concatenate([c.start[k] for c in chunks]) for k in chunks[0].start},
        end={k: np.concatenate([c.end[k] for c in chunks]) for k in chunks[0].end},
        period_id=np.concatenate([pad(c.period_id, -1) for c in chunks]),
        weight=None if any(c.weight is None for c in chunks) else np.concatenate([pad(c.weight) for c in chunks]),  # type: ignore[arg-type]
        regression=None
        if any(c.regression is None for c in chunks)
        else np.concatenate([pad(c.regression) for c in chunks]),  # type: ignore[arg-type]
    )


def flatten(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """The trials of a batch back to back, padding removed: (steps, obs) and (steps[, act])."""
    if batch.length.min() == batch.ob.shape[1]:  # no padding: a free reshape
        return batch.ob.reshape(-1, batch.ob.shape[2]), batch.gt.reshape(-1, *batch.gt.shape[2:])
    rows = np.flatnonzero(batch.mask.ravel())  # row indices: np.take beats a boolean mask on 3-d arrays
    n, steps = batch.ob.shape[:2]
    return (
        np.take(batch.ob.reshape(n * steps, -1), rows, axis=0),
        np.take(batch.gt.reshape(n * steps, *batch.gt.shape[2:]), rows, axis=0),
    )


def flat_weight(batch: Batch, columns: tuple[int, ...]) -> np.ndarray:
    """The batch's weights back to back without padding, as `flatten` lays out the steps; (steps[, act])."""
    weight = batch.weight
    assert weight is not None
    if columns and weight.ndim == 2:  # another task of the mix weighs action groups: same weight per column
        weight = np.broadcast_to(weight[:, :, None], (*weight.shape, *columns))
    n, steps = weight.shape[:2]
    flat = weight.reshape(n * steps, *weight.shape[2:])
    if batch.length.min() == steps:
        return flat
    return np.take(flat, np.flatnonzero(batch.mask.ravel()), axis=0)
