"""Supervised data: batches of trials built with array operations, and a NeuroGym-style stream.

`generate_trials` returns padded trials with a mask; `Dataset` cuts a stream of trials
(concatenated back to back, as NeuroGym's `Dataset` does) into (inputs, target)
batches. Both are seeded and reproducible, and neither loops over trials or steps in
Python: trials come from `TrialEnv.generate` in large chunks.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from gymnasium.utils import seeding

from ..library import as_env
from ..runtime import TrialEnv
from ..runtime.source import TrialSource, shown
from ..runtime.trials import Batch, Scratch, build
from ..runtime.weights import loss_weight
from .budgets import check_bytes, kept_step_bytes, whole_number
from .multitask import TaskMix, as_mix

DEFAULT_CHUNK = 4096
CACHE_STEPS = 1 << 18  # steps generated per refill of a Dataset: amortises Python overhead
GENERATE_TRIALS = 1 << 16  # the most trials built in one call while filling a cache


def _private(env: TrialSource[np.random.Generator]) -> Any:
    """A shallow copy of `env` with its own session (session variables start afresh), for one generator."""
    return env.private()


def generate_trials(
    task: Any,
    n: int,
    seed: int | None = None,
    *,
    chunk_size: int | None = None,
    shard: tuple[int, int] | None = None,
    **params: Any,
) -> Batch:
    """`n` trials as one padded `Batch` (ob, gt, mask, length, variables, start, end).

    Trials are drawn in chunks of `chunk_size` (default 4096) from a generator seeded like
    `env.reset(seed=seed)`. With `chunk_size=env.chunk_size` (64), trial i is exactly the
    i-th trial that `env.reset(seed=seed)` and `env.step` go through; with larger chunks the
    trials follow the same distributions and layout but differ draw for draw. Session
    variables (blocks of trials) start afresh, as after `env.reset(seed=seed)`: an env instance passed here is
    not advanced, and the result depends only on the seed and the parameters.

    `shard=(i, k)` gives part i of k of the sharded whole (see `shard_blocks`): each block of
    `chunk_size` trials has its own generator (and a fresh session), so a shard is made without
    the others, in any process, and shards 0..k-1 concatenated are the same trials for every k.
    """
    n = whole_number("n", n)
    if chunk_size is not None:
        chunk_size = whole_number("chunk_size", chunk_size)
    env = _private(_source(task, params))
    batch = _trials(env, n, seed, chunk_size, shard)
    batch.variables = shown(batch.variables)
    return with_weight(env, batch)


def _check_result(env: Any, n: int, rows: int, longest: int, joined: bool) -> None:
    """The padded result of `generate_trials` (and, when chunks are joined, the chunks too) fits the budget.

    Checked first with trials of one step (nothing is drawn yet), then after each chunk with the
    longest trial so far, before the next chunk is drawn: the result is padded to the longest.
    """
    held = 2 if joined else 1
    check_bytes(
        f"n={n}",
        f"{rows} trials{f' ({n} rounded up to whole chunks)' if rows > n else ''} of "
        f"{'at least 1 step' if longest == 1 else f'up to {longest} steps'} at {kept_step_bytes(env)} bytes per step"
        f"{', held twice while the chunks are joined,' if joined else ''}",
        held * rows * longest * kept_step_bytes(env),
        "generate fewer trials at once (several calls, or shard=(i, k)), or stream them with Dataset",
    )


def _source(task: Any, params: dict[str, Any]) -> Any:
    """A single task's env, or the TaskMix when `task` names several tasks."""
    mix = as_mix(task, params)
    if mix is not None:
        return mix
    if isinstance(task, type) and issubclass(task, TrialEnv):  # a compiled class, e.g. from load_text
        return task(**params)
    return as_env(task, params)


def with_weight(env: Any, batch: Batch) -> Batch:
    """`batch` with its loss weights (a mix fills them itself)."""
    if batch.weight is None:
        batch.weight = loss_weight(env, batch.start, batch.end, batch.length, batch.ob.shape[1])
    return batch


def _trials(env: Any, n: int, seed: int | None, chunk_size: int | None, shard: tuple[int, int] | None) -> Batch:
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if shard is not None:
        blocks = shard_blocks(n, seed, shard, chunk_size or DEFAULT_CHUNK)
        if not blocks:
            raise ValueError(f"shard {shard[0]} of {shard[1]} holds no trials: {n} trials are fewer than the shards")
        sizes = [size for _, size, _ in blocks]
        chunks = _draw(env, n, sizes, lambda k: rows(block_trials(env, blocks[k][0], sizes[k]), blocks[k][2]))
        return chunks[0] if len(chunks) == 1 else concatenate(chunks)
    rng, _ = seeding.np_random(seed)
    size = chunk_size or min(DEFAULT_CHUNK, n)
    # Always whole chunks, as the env draws them, so trial i never depends on n.
    chunks = _draw(env, n, [size] * -(-n // size), lambda _: env.generate(rng, size))
    batch = chunks[0] if len(chunks) == 1 else concatenate(chunks)
    return batch if len(batch.length) == n else head(batch, n)


def _draw(env: Any, n: int, sizes: list[int], draw: Callable[[int], Batch]) -> list[Batch]:
    """Chunks `draw(0)`, `draw(1)`, ... of `sizes` trials, the result's size checked before each is drawn."""
    total, joined, longest = sum(sizes), len(sizes) > 1, 1
    _check_result(env, n, total, longest, joined)  # nothing drawn yet: every trial lasts a step at least
    chunks: list[Batch] = []
    for k in range(len(sizes)):
        chunks.append(draw(k))
        longest = max(longest, chunks[-1].ob.shape[1])
        if k + 1 < len(sizes):  # more to draw: the result, padded to the longest trial so far, must fit
            _check_result(env, n, total, longest, joined)
    return chunks


def block_trials(env: Any, rng: np.random.Generator, size: int) -> Batch:
    """One block of a sharded whole; its session variables start afresh, so it never depends on other blocks."""
    return env.private().generate(rng, size)


def shard_blocks(
    n: int, seed: int | None, shard: tuple[int, int], block: int = DEFAULT_CHUNK
) -> list[tuple[np.random.Generator, int, slice]]:
    """(generator, trials, the part in the shard) of each block that shard `shard = (i, k)` of `n` trials draws from.

    The whole is cut into blocks of `block` trials (the last may be shorter); block b draws
    from `SeedSequence(seed).spawn(B)[b]`. Shard i holds trials `i*n//k` to `(i+1)*n//k - 1`,
    so shards differ in size by one trial at most, whatever the block size; a shard builds each
    block it overlaps whole and keeps its part. So shards are disjoint, reproducible in any
    process, and together the same trials in the same order whatever k is.
    """
    i, k = shard
    if not (isinstance(i, int) and isinstance(k, int) and 0 <= i < k):
        raise ValueError(f"shard must be (i, k) with 0 <= i < k, got {shard!r}")
    if seed is None:
        raise ValueError("shards need a seed: without one, each process would draw different trials")
    if block < 1:
        raise ValueError(f"chunk_size must be at least 1, got {block}")
    low, high = i * n // k, (i + 1) * n // k
    if low == high:  # fewer trials than shards
        return []
    parts = []
    for b in range(low // block, -(-high // block)):
        size = min(block, n - b * block)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,))))
        parts.append((rng, size, slice(max(low - b * block, 0), min(high - b * block, size))))
    return parts


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


def _flat_weight(batch: Batch, columns: tuple[int, ...]) -> np.ndarray:
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


class Dataset:
    """NeuroGym-compatible batches: `ds()` or `next(ds)` gives (inputs, target).

    Seeded and reproducible; trials follow the task's distributions but are not the ones
    `env.reset(seed=seed)` plays (use `generate_trials(..., chunk_size=64)` for those).

    Shapes are (seq_len, batch_size, obs) and (seq_len, batch_size[, act]), or batch first.
    Each row is a stream of whole trials back to back, continued from one batch to the next
    (trials are cut where a cache of `cache_len` steps per row ends, as in NeuroGym).
    With `per_trial=True` each row holds one trial instead, padded to the longest, and
    a third array, the mask of real (non-padding) steps, is returned. With `weights=True`
    the loss weights of the spec's `loss:` key come last, shaped like the target (or with one
    more axis, one column per action, when the spec weighs action groups): (inputs, target,
    weight), or (inputs, target, mask, weight) per trial.

    Several tasks mix into one stream when `task` is a `TaskMix`, a `ScheduleEnvs`, a list or
    dict of tasks or a family name ("yang19"): see `taskspec.data.multitask`.

    NeuroGym's arguments work too: `task` may be an env instance (a taskspec env, also
    wrapped in wrappers that leave the trials alone) or a gymnasium id; `env_kwargs` are its
    parameters; iteration stops after `max_batch` batches; `seed(s)` restarts the stream.
    The stream of a seed is the same whatever the thread count, timing or process: each part
    of the rows owns its generator and its own copy of the task (session variables included).
    In a PyTorch DataLoader worker w of n it is `SeedSequence(seed).spawn(n)[w]` instead, so
    workers never repeat each other (see `taskspec.data.torch_data`).
    """

    def __init__(
        self,
        task: Any,
        batch_size: int = 1,
        seq_len: int | None = None,
        batch_first: bool = False,
        seed: int | None = None,
        per_trial: bool = False,
        *,
        env_kwargs: dict[str, Any] | None = None,
        max_batch: int | float | None = None,
        cache_len: int | None = None,
        weights: bool = False,
        **params: Any,
    ):
        if env_kwargs:
            clash = sorted(set(env_kwargs) & set(params))
            if clash:
                raise ValueError(f"parameter(s) {clash} given both in env_kwargs and as keywords")
            params = {**env_kwargs, **params}
        self.env = _source(task, params)
        self.weights = bool(weights)
        if not self.env.has_target:
            raise ValueError(f"{self.env.task_name} defines no ground truth ('target'), so it has no supervised data")
        if batch_size < 1 or (seq_len is not None and seq_len < 1) or (cache_len is not None and cache_len < 1):
            raise ValueError("batch_size, seq_len and cache_len must be at least 1")
        batch_size = whole_number("batch_size", batch_size)
        seq_len = None if seq_len is None else whole_number("seq_len", seq_len)
        if max_batch is not None and not max_batch >= 0:
            raise ValueError(f"max_batch must be a number of batches (or None for no end), got {max_batch!r}")
        self.batch_size, self.seq_len = batch_size, seq_len or 1000
        self.batch_first, self.per_trial = batch_first, per_trial
        self.max_batch = None if max_batch is None or max_batch == float("inf") else int(max_batch)
        # int(): NeuroGym's own tests pass cache_len=1e4
        steps = int(cache_len or self.seq_len * max(1, CACHE_STEPS // (self.seq_len * batch_size)))
        self._cache_len = -(-steps // self.seq_len) * self.seq_len  # whole windows, rounded up as NeuroGym does
        self._check_memory(cache_len)
        self._worker_stream: tuple[int, int] | None = None
        self._pid: int | None = None  # the process whose threads `_pools` holds
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self.seed(seed)
        _LIVE.add(self)

    def _check_memory(self, cache_len: Any) -> None:
        """The caches (the one in use and the one built ahead) or a batch of whole trials fit the budget,
        checked here, before the first batch allocates them."""
        given = [f"batch_size={self.batch_size}", f"seq_len={self.seq_len}"]
        if cache_len is not None:
            given.append(f"cache_len={cache_len}")
        if self.per_trial:
            what = f"{self.batch_size} trials of at least one step at {kept_step_bytes(self.env)} bytes per step"
            need = self.batch_size * kept_step_bytes(self.env)
        else:
            what = (
                f"two caches of {self._cache_len} steps x {self.batch_size} rows at "
                f"{kept_step_bytes(self.env)} bytes per step"
            )
            need = 2 * self._cache_len * self.batch_size * kept_step_bytes(self.env)
        check_bytes(", ".join(given), what, need, "use smaller batches or shorter windows")

    def seed(self, seed: int | None = None) -> None:
        """Restart the stream from `seed` (None: fresh entropy), as a new Dataset with that seed would."""
        self._settle()
        self._entropy = np.random.SeedSequence(seed).entropy  # kept, so DataLoader workers derive from it
        self._restart(())

    def _restart(self, key: tuple[int, ...]) -> None:
        """Generators from SeedSequence(seed) (key ()) or its child `key`, fresh task copies, empty cache."""
        root = np.random.SeedSequence(self._entropy, spawn_key=key)
        # PCG64DXSM draws normals ~20% faster than gymnasium's PCG64; the Dataset need not replay the env.
        # The rows are split in two parts, each with its generator and task copy, so both cores can build a
        # cache together; the split is fixed, so a seed gives the same batches however threads are scheduled.
        parts = 2 if self.batch_size > 1 else 1
        self.rng = np.random.Generator(np.random.PCG64DXSM(root))  # per-trial mode
        self.rngs = [
            np.random.Generator(np.random.PCG64DXSM(s))
            for s in np.random.SeedSequence(self._entropy, spawn_key=key).spawn(parts)
        ]
        self._tasks = [_private(self.env) for _ in range(parts)]
        self._memory: dict[int, tuple[Scratch, Scratch]] = {}  # per task copy: batch memory, stream memory
        self._trial_task = _private(self.env)
        self._future: Future[tuple[np.ndarray, ...]] | None = None
        self._ready: tuple[np.ndarray, ...] | None = None
        self._pos = self._cache_len  # empty cache: the first call fills it
        self._batches = 0

    def __iter__(self) -> Dataset:
        return self

    def __call__(self) -> tuple[np.ndarray, ...]:
        return self.__next__()

    def __next__(self) -> tuple[np.ndarray, ...]:
        if self.max_batch is not None and self._batches >= self.max_batch:
            raise StopIteration
        self._batches += 1
        self._enter_process()
        if self.per_trial:
            return self._trial_batch()
        if self._pos + self.seq_len > self._cache_len:
            self._refill()
        window = slice(self._pos, self._pos + self.seq_len)
        self._pos += self.seq_len
        arrays = (self._inputs, self._target, self._weight) if self.weights else (self._inputs, self._target)
        if self.batch_first:
            return tuple(a[:, window] for a in arrays)
        return tuple(a[window] for a in arrays)

    def __len__(self) -> int:
        if self.max_batch is None:
            raise TypeError("this Dataset has no end (max_batch=None), so it has no length")
        return self.max_batch

    def _trial_batch(self) -> tuple[np.ndarray, ...]:
        batch = self._trial_task.generate(self.rng, self.batch_size)
        arrays: tuple[np.ndarray, ...] = (batch.ob, batch.gt, batch.mask)
        if self.weights:
            arrays += (with_weight(self._trial_task, batch).weight,)  # type: ignore[operator]
        if self.batch_first:
            return arrays
        return tuple(np.ascontiguousarray(np.swapaxes(a, 0, 1)) for a in arrays)  # type: ignore[return-value]

    # ----- processes, threads, pickling -----

    def _enter_process(self) -> None:
        """On the first batch in a process: forget the threads of another process and pick the stream.

        A forked child inherits pool objects whose threads do not exist there; an unpickled
        copy has none. In a DataLoader worker the stream restarts as that worker's own.
        """
        pid = os.getpid()
        if pid == self._pid:
            return
        self._pid, self._pools = pid, {}
        worker = _dataloader_worker()
        if worker is not None and worker != self._worker_stream:
            self._worker_stream = worker
            self._restart((worker[0],) if worker[1] > 1 else ())

    def _pool(self, name: str, threads: int) -> ThreadPoolExecutor:
        if name not in self._pools:  # created on first use, so a fresh Dataset pickles and forks cleanly
            self._pools[name] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"taskspec-{name}")
        return self._pools[name]

    def _settle(self) -> None:
        """Wait for the cache being built in the background, so the state is whole (pickling, fork)."""
        future = getattr(self, "_future", None)
        if future is not None:
            self._ready, self._future = future.result(), None

    def __getstate__(self) -> dict[str, Any]:
        self._settle()
        return {k: v for k, v in self.__dict__.items() if k not in ("_pools", "_future", "_memory")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _pools={}, _future=None, _pid=None, _memory={})
        _LIVE.add(self)

    def close(self) -> None:
        """Stop the background threads (also done when the Dataset is garbage-collected)."""
        self._settle()
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools = {}

    def __del__(self) -> None:
        if getattr(self, "_pid", None) == os.getpid():  # a forked copy must not touch the parent's pools
            for pool in getattr(self, "_pools", {}).values():
                pool.shutdown(wait=False, cancel_futures=True)

    # ----- building caches -----

    def _refill(self) -> None:
        """Swap in the cache built in the background and start building the next one.

        Building a cache is mostly NumPy work that releases the GIL, so on a machine with a
        second core the next cache is ready by the time the current one is used up. Only the
        worker thread touches the generators, one cache after another, so results stay seeded.
        """
        self._settle()
        ready, self._ready = self._ready, None
        self._inputs, self._target, self._weight = ready if ready is not None else self._build_cache()
        self._future = self._pool("prefetch", 1).submit(self._build_cache)
        self._pos = 0

    def _build_cache(self) -> tuple[np.ndarray, ...]:
        """A cache of `cache_len` steps per row; the rows are split in parts built in parallel."""
        shape = (self.batch_size, self._cache_len) if self.batch_first else (self._cache_len, self.batch_size)
        inputs = np.empty(shape + tuple(self.env.observation_space.shape or ()), np.float32)
        discrete = self.env.action_type == "discrete"
        act_shape = () if discrete else tuple(self.env.action_space.shape or ())
        target = np.empty(shape + act_shape, np.int64 if discrete else np.float32)
        weight = np.empty(shape + self._weight_shape(), np.float32) if self.weights else None
        parts = np.array_split(np.arange(self.batch_size), len(self.rngs))
        pool = self._pool("rows", len(self.rngs))
        jobs = [
            pool.submit(self._fill_rows, task, rng, rows, inputs, target, weight)
            for task, rng, rows in zip(self._tasks, self.rngs, parts, strict=True)
        ]
        for job in jobs:
            job.result()
        return inputs, target, weight  # type: ignore[return-value]  # weight None unless asked for

    def _weight_shape(self) -> tuple[int, ...]:
        """() for one weight per step, (actions,) when the task (or a task of the mix) weighs action groups."""
        envs = self.env.envs if isinstance(self.env, TaskMix) else [self.env]
        if not any(getattr(type(e).info.loss, "get", lambda _: None)("groups") for e in envs):
            return ()
        space = self.env.action_space
        return (int(space.n),) if self.env.action_type == "discrete" else tuple(space.shape or ())

    def _fill_rows(
        self,
        task: Any,
        rng: np.random.Generator,
        rows: np.ndarray,
        inputs: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None,
    ) -> None:
        """Draw enough trials for `rows`, then give each row a stretch starting at a trial onset."""
        need = len(rows) * self._cache_len
        ws: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        total = 0
        n = 1024
        # Each batch is copied into the part's stream at once, so a plain task builds every batch in the
        # same reused memory (see runtime.trials.Scratch), and the stream itself is reused cache after cache.
        memory = self._memory.setdefault(id(task), (Scratch(), Scratch()))  # one per part, so per thread
        plain = isinstance(task, TrialEnv) and not task.info.interactive
        ob_stream = gt_stream = None
        while total < need + len(rows) * (max(lengths[-1].max(), 1) if lengths else 1):
            batch = build(task, rng, n, {}, False, memory[0]) if plain else task.generate(rng, n)
            ob, gt = flatten(batch)
            if weight is not None:
                ws.append(_flat_weight(with_weight(task, batch), weight.shape[2:]))
            hint = need + len(rows) * 4 * batch.ob.shape[1]  # enough for the cache (and for the last trials)
            ob_stream = _append(memory[1], "ob", ob_stream, ob, total, hint)
            gt_stream = _append(memory[1], "gt", gt_stream, gt, total, hint)
            lengths.append(batch.length)
            total += len(ob)
            n = int(min(GENERATE_TRIALS, max(256, 1.05 * (need - total) / batch.length.mean() + 64)))
        assert ob_stream is not None and gt_stream is not None
        w_stream = np.concatenate(ws) if weight is not None else None
        all_lengths = np.concatenate(lengths)
        onsets = np.cumsum(all_lengths) - all_lengths
        span = total // len(rows)
        first = onsets[np.minimum(np.searchsorted(onsets, np.arange(len(rows)) * span), len(onsets) - 1)]
        # Each step's observation row moves as one opaque item: NumPy then loops along the steps, not
        # over a few columns at a time (the copy of a row of the cache is strided when not batch first).
        ob_items, input_items = _items(ob_stream), _items(inputs)
        for row, onset in zip(rows.tolist(), first.tolist(), strict=True):  # block copies beat a fancy gather
            stretch = slice(onset, onset + self._cache_len)
            if self.batch_first:
                input_items[row], target[row] = ob_items[stretch], gt_stream[stretch]
            else:
                input_items[:, row], target[:, row] = ob_items[stretch], gt_stream[stretch]
            if weight is not None and w_stream is not None:
                if self.batch_first:
                    weight[row] = w_stream[stretch]
                else:
                    weight[:, row] = w_stream[stretch]


def _append(memory: Scratch, role: str, stream: np.ndarray | None, rows: np.ndarray, at: int, hint: int) -> np.ndarray:
    """`stream` (its first `at` rows kept) with `rows` written after them, in `memory`'s `role`.

    The first batch of a cache takes the memory the last cache used (room for `hint` rows at least);
    running out, the stream moves to memory twice as large, which is kept for the next caches.
    """
    if stream is None:
        stream = memory.array(role, (max(hint, len(rows)), *rows.shape[1:]), rows.dtype)
    elif len(stream) < at + len(rows):
        grown = np.empty((max(2 * len(stream), at + len(rows)), *rows.shape[1:]), rows.dtype)
        grown[:at] = stream[:at]
        stream = memory.adopt(role, grown)
    stream[at : at + len(rows)] = rows
    return stream


def _items(array: np.ndarray) -> np.ndarray:
    """A view of `array` with its last axis (contiguous) as one opaque item per row."""
    if array.shape[-1] == 0:
        return array
    return array.view(np.dtype((np.void, array.shape[-1] * array.itemsize)))[..., 0]


_LIVE: weakref.WeakSet[Dataset] = weakref.WeakSet()


def _settle_all() -> None:
    for dataset in list(_LIVE):
        dataset._settle()


if hasattr(os, "register_at_fork"):  # a fork mid-build would copy half-advanced generators into the child
    os.register_at_fork(before=_settle_all)


def _dataloader_worker() -> tuple[int, int] | None:
    """(worker id, number of workers) inside a PyTorch DataLoader worker, else None (torch never imported here)."""
    data = sys.modules.get("torch.utils.data")
    info = data.get_worker_info() if data is not None else None
    return None if info is None else (int(info.id), int(info.num_workers))
