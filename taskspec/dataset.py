"""Supervised data: batches of trials built with array operations, and a NeuroGym-style stream.

`generate_trials` returns padded trials with a mask; `Dataset` cuts a stream of trials
(concatenated back to back, as NeuroGym's `Dataset` does) into (inputs, target)
batches. Both are seeded and reproducible, and neither loops over trials or steps in
Python: trials come from `TrialEnv.generate` in large chunks.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
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
        # PCG64DXSM draws normals ~20% faster than gymnasium's PCG64; the Dataset need not replay the env.
        # Two generators, one per half of the rows, so both cores can build a cache together; the split
        # is fixed, so a seed gives the same batches however the threads are scheduled.
        parts = 2 if batch_size > 1 else 1
        self.rng = np.random.Generator(np.random.PCG64DXSM(np.random.SeedSequence(seed)))  # per-trial mode
        self.rngs = [np.random.Generator(np.random.PCG64DXSM(s)) for s in np.random.SeedSequence(seed).spawn(parts)]
        self._parts_pool = ThreadPoolExecutor(max_workers=parts, thread_name_prefix="taskspec-rows")
        self._cache_len = self.seq_len * max(1, CACHE_STEPS // (self.seq_len * batch_size))
        self._pos = self._cache_len  # empty cache: the first call fills it
        self._worker: ThreadPoolExecutor | None = None
        self._future: Future[tuple[np.ndarray, np.ndarray]] | None = None

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
        """Swap in the cache built in the background and start building the next one.

        Building a cache is mostly NumPy work that releases the GIL, so on a machine with a
        second core the next cache is ready by the time the current one is used up. Only the
        worker thread touches the generator, one cache after another, so results stay seeded.
        """
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="taskspec-dataset")
            self._future = self._worker.submit(self._build_cache)
        assert self._future is not None
        self._inputs, self._target = self._future.result()
        self._future = self._worker.submit(self._build_cache)
        self._pos = 0

    def close(self) -> None:
        """Stop the background worker (also done when the Dataset is garbage-collected)."""
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=True)
            self._worker = None
        self._parts_pool.shutdown(wait=True)

    def __del__(self) -> None:
        for pool in (getattr(self, "_worker", None), getattr(self, "_parts_pool", None)):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def _build_cache(self) -> tuple[np.ndarray, np.ndarray]:
        """A cache of `cache_len` steps per row; the rows are split in parts built in parallel."""
        shape = (self.batch_size, self._cache_len) if self.batch_first else (self._cache_len, self.batch_size)
        inputs = np.empty(shape + tuple(self.env.observation_space.shape or ()), np.float32)
        discrete = self.env.action_type == "discrete"
        act_shape = () if discrete else tuple(self.env.action_space.shape or ())
        target = np.empty(shape + act_shape, np.int64 if discrete else np.float32)
        parts = np.array_split(np.arange(self.batch_size), len(self.rngs))
        jobs = [self._parts_pool.submit(self._fill_rows, rng, rows, inputs, target)
                for rng, rows in zip(self.rngs, parts, strict=True)]
        for job in jobs:
            job.result()
        return inputs, target

    def _fill_rows(self, rng: np.random.Generator, rows: np.ndarray, inputs: np.ndarray, target: np.ndarray) -> None:
        """Draw enough trials for `rows`, then give each row a stretch starting at a trial onset."""
        need = len(rows) * self._cache_len
        obs: list[np.ndarray] = []
        gts: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        total = 0
        n = 1024
        while total < need + len(rows) * (max(lengths[-1].max(), 1) if lengths else 1):
            batch = self.env.generate(rng, n)
            ob, gt = flatten(batch)
            obs.append(ob)
            gts.append(gt)
            lengths.append(batch.length)
            total += len(ob)
            n = int(min(1 << 16, max(256, 1.05 * (need - total) / batch.length.mean() + 64)))
        ob_stream, gt_stream = np.concatenate(obs), np.concatenate(gts)
        all_lengths = np.concatenate(lengths)
        onsets = np.cumsum(all_lengths) - all_lengths
        span = total // len(rows)
        first = onsets[np.minimum(np.searchsorted(onsets, np.arange(len(rows)) * span), len(onsets) - 1)]
        for row, onset in zip(rows.tolist(), first.tolist(), strict=True):  # block copies beat a fancy gather
            stretch = slice(onset, onset + self._cache_len)
            if self.batch_first:
                inputs[row], target[row] = ob_stream[stretch], gt_stream[stretch]
            else:
                inputs[:, row], target[:, row] = ob_stream[stretch], gt_stream[stretch]
