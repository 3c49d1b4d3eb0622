"""Supervised data: batches of trials built with array operations, and a NeuroGym-style stream.

`generate_trials` returns padded trials with a mask; `Dataset` cuts a stream of trials
(concatenated back to back, as NeuroGym's `Dataset` does) into (inputs, target)
batches. Both are seeded and reproducible, and neither loops over trials or steps in
Python: trials come from `TrialEnv.generate` in large chunks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gymnasium.utils import seeding

from .library import make
from .runtime import TrialEnv
from .trials import Batch

DEFAULT_CHUNK = 4096
CACHE_STEPS = 1 << 18  # steps generated per refill of a Dataset: amortises Python overhead


def _env(task: str | Path | TrialEnv, params: dict[str, Any]) -> TrialEnv:
    if isinstance(task, TrialEnv):
        if params:
            raise TypeError("pass parameters when making the env, not with an env instance")
        return task
    return make(task, **params)


def generate_trials(task: str | Path | TrialEnv, n: int, seed: int | None = None, *,
                    chunk_size: int | None = None, **params: Any) -> Batch:
    """`n` trials as one padded `Batch` (ob, gt, mask, length, variables, start, end).

    Trials are drawn in chunks of `chunk_size` (default 4096) from a generator seeded like
    `env.reset(seed=seed)`. With `chunk_size=env.chunk_size` (64), trial i is exactly the
    i-th trial that `env.reset(seed=seed)` and `env.step` go through; with larger chunks the
    trials follow the same distributions and layout but differ draw for draw.
    """
    env = _env(task, params)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng, _ = seeding.np_random(seed)
    size = chunk_size or min(DEFAULT_CHUNK, n)
    # Always whole chunks, as the env draws them, so trial i never depends on n.
    chunks = [env.generate(rng, size) for _ in range(0, n, size)]
    batch = chunks[0] if len(chunks) == 1 else concatenate(chunks)
    return batch if len(batch.length) == n else head(batch, n)


def head(batch: Batch, n: int) -> Batch:
    """The first `n` trials of a batch, padding trimmed to the longest of them."""
    longest = int(batch.length[:n].max())
    return Batch(batch.ob[:n, :longest], batch.gt[:n, :longest], batch.length[:n],
                 {k: v[:n] for k, v in batch.variables.items()}, {k: v[:n] for k, v in batch.start.items()},
                 {k: v[:n] for k, v in batch.end.items()}, batch.period_id[:n, :longest])


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
    )


def flatten(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """The trials of a batch back to back, padding removed: (steps, obs) and (steps[, act])."""
    if batch.length.min() == batch.ob.shape[1]:  # no padding: a free reshape
        return batch.ob.reshape(-1, batch.ob.shape[2]), batch.gt.reshape(-1, *batch.gt.shape[2:])
    rows = np.flatnonzero(batch.mask.ravel())  # row indices: np.take beats a boolean mask on 3-d arrays
    n, steps = batch.ob.shape[:2]
    return (np.take(batch.ob.reshape(n * steps, -1), rows, axis=0),
            np.take(batch.gt.reshape(n * steps, *batch.gt.shape[2:]), rows, axis=0))


class Dataset:
    """NeuroGym-compatible batches: `ds()` or `next(ds)` gives (inputs, target).

    Seeded and reproducible; trials follow the task's distributions but are not the ones
    `env.reset(seed=seed)` plays (use `generate_trials(..., chunk_size=64)` for those).

    Shapes are (seq_len, batch_size, obs) and (seq_len, batch_size[, act]), or batch first.
    Each row is a stream of whole trials back to back, continued from one batch to the next
    (trials are cut where a cache of `seq_len * k` steps per row ends, as in NeuroGym).
    With `per_trial=True` each row holds one trial instead, padded to the longest, and
    a third array, the mask of real (non-padding) steps, is returned.
    """

    def __init__(self, task: str | Path | TrialEnv, batch_size: int = 1, seq_len: int | None = None,
                 batch_first: bool = False, seed: int | None = None, per_trial: bool = False, **params: Any):
        self.env = _env(task, params)
        if not self.env.has_target:
            raise ValueError(f"{self.env.task_name} defines no ground truth ('target'), so it has no supervised data")
        if batch_size < 1 or (seq_len is not None and seq_len < 1):
            raise ValueError("batch_size and seq_len must be at least 1")
        self.batch_size, self.seq_len = batch_size, seq_len or 1000
        self.batch_first, self.per_trial = batch_first, per_trial
        # PCG64DXSM draws normals ~20% faster than gymnasium's PCG64; the Dataset need not replay the env
        self.rng = np.random.Generator(np.random.PCG64DXSM(np.random.SeedSequence(seed)))
        self._cache_len = self.seq_len * max(1, CACHE_STEPS // (self.seq_len * batch_size))
        self._pos = self._cache_len  # empty cache: the first call fills it

    def __iter__(self) -> Dataset:
        return self

    def __call__(self) -> tuple[np.ndarray, ...]:
        return self.__next__()

    def __next__(self) -> tuple[np.ndarray, ...]:
        if self.per_trial:
            return self._trial_batch()
        if self._pos + self.seq_len > self._cache_len:
            self._refill()
        window = slice(self._pos, self._pos + self.seq_len)
        self._pos += self.seq_len
        if self.batch_first:
            return self._inputs[:, window], self._target[:, window]
        return self._inputs[window], self._target[window]

    def _trial_batch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        batch = self.env.generate(self.rng, self.batch_size)
        arrays = (batch.ob, batch.gt, batch.mask)
        if self.batch_first:
            return arrays
        return tuple(np.ascontiguousarray(np.swapaxes(a, 0, 1)) for a in arrays)  # type: ignore[return-value]

    def _refill(self) -> None:
        """Draw enough trials for every row, then give each row a stretch starting at a trial onset."""
        need = self.batch_size * self._cache_len
        obs: list[np.ndarray] = []
        gts: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        total = 0
        n = 1024
        while total < need + self.batch_size * (max(lengths[-1].max(), 1) if lengths else 1):
            batch = self.env.generate(self.rng, n)
            ob, gt = flatten(batch)
            obs.append(ob)
            gts.append(gt)
            lengths.append(batch.length)
            total += len(ob)
            n = int(min(1 << 16, max(256, 1.05 * (need - total) / batch.length.mean() + 64)))
        ob_stream, gt_stream = np.concatenate(obs), np.concatenate(gts)
        all_lengths = np.concatenate(lengths)
        onsets = np.cumsum(all_lengths) - all_lengths
        span = total // self.batch_size
        first = onsets[np.minimum(np.searchsorted(onsets, np.arange(self.batch_size) * span), len(onsets) - 1)]
        shape = (self.batch_size, self._cache_len) if self.batch_first else (self._cache_len, self.batch_size)
        self._inputs = np.empty(shape + ob_stream.shape[1:], ob_stream.dtype)
        self._target = np.empty(shape + gt_stream.shape[1:], gt_stream.dtype)
        for row, onset in enumerate(first.tolist()):  # one block copy per row beats a fancy-index gather
            stretch = slice(onset, onset + self._cache_len)
            if self.batch_first:
                self._inputs[row], self._target[row] = ob_stream[stretch], gt_stream[stretch]
            else:
                self._inputs[:, row], self._target[:, row] = ob_stream[stretch], gt_stream[stretch]
        self._pos = 0
