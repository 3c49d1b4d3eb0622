"""Supervised data: batches of trials built with array operations, and a NeuroGym-style stream.

`generate_trials` (taskspec.data.generation) returns padded trials with a mask; `Dataset` cuts a
stream of trials (concatenated back to back, as NeuroGym's `Dataset` does) into (inputs, target)
batches. Both are seeded and reproducible, and neither loops over trials or steps in Python: trials
come from `TrialEnv.generate` in large chunks (taskspec.data.stream lays them into the caches).
"""

from __future__ import annotations

import os
import sys
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from ..runtime.trials import Scratch
from .batches import concatenate, flatten, head, rows, with_weight
from .budgets import check_bytes, kept_step_bytes, whole_number
from .generation import DEFAULT_CHUNK, block_trials, generate_trials, private_copy, shard_blocks, task_source
from .multitask import TaskMix
from .stream import GENERATE_TRIALS, fill_rows

__all__ = [  # the names this module has always offered; most now live in the modules above
    "CACHE_STEPS",
    "DEFAULT_CHUNK",
    "GENERATE_TRIALS",
    "Dataset",
    "block_trials",
    "concatenate",
    "flatten",
    "generate_trials",
    "head",
    "rows",
    "shard_blocks",
    "with_weight",
]

CACHE_STEPS = 1 << 18  # steps generated per refill of a Dataset: amortises Python overhead


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
        self.env = task_source(task, params)
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
        self._tasks = [private_copy(self.env) for _ in range(parts)]
        self._memory: dict[int, tuple[Scratch, Scratch]] = {}  # per task copy: batch memory, stream memory
        self._trial_task = private_copy(self.env)
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
        # the memory of each part of the rows (so of each thread): reused cache after cache
        memory = [self._memory.setdefault(id(task), (Scratch(), Scratch())) for task in self._tasks]
        jobs = [
            pool.submit(fill_rows, task, rng, rows, (inputs, target, weight), self.batch_first, part_memory)
            for task, rng, rows, part_memory in zip(self._tasks, self.rngs, parts, memory, strict=True)
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
