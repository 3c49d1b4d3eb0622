"""`generate_trials`: n trials as one padded `Batch`, drawn in chunks from a seeded generator, or as
one shard of a whole that any process can build on its own (`shard_blocks`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium.utils import seeding

from ..library import as_env
from ..runtime import TrialEnv
from ..runtime.source import TrialSource, shown
from ..runtime.trials import Batch
from .batches import concatenate, head, rows, with_weight
from .budgets import check_bytes, kept_step_bytes, whole_number
from .multitask import as_mix

DEFAULT_CHUNK = 4096


def private_copy(env: TrialSource[np.random.Generator]) -> Any:
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
    env = private_copy(task_source(task, params))
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


def task_source(task: Any, params: dict[str, Any]) -> Any:
    """A single task's env, or the TaskMix when `task` names several tasks."""
    mix = as_mix(task, params)
    if mix is not None:
        return mix
    if isinstance(task, type) and issubclass(task, TrialEnv):  # a compiled class, e.g. from load_text
        return task(**params)
    return as_env(task, params)


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
