"""The stream a `Dataset` cuts its batches from: trials drawn in large batches, laid back to back, and
a stretch of the stream copied into each row of the cache, starting at a trial's onset."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime import TrialEnv
from ..runtime.trials import Scratch, build
from .batches import flat_weight, flatten, with_weight

GENERATE_TRIALS = 1 << 16  # the most trials built in one call while filling a cache


def fill_rows(
    task: Any,
    rng: np.random.Generator,
    rows: np.ndarray,
    cache: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    batch_first: bool,
    memory: tuple[Scratch, Scratch],
) -> None:
    """Draw enough trials for `rows` of the `cache` (inputs, target, weight or None), then give each row a
    stretch starting at a trial onset. `memory`: the (batch, stream) memory of this part of the rows."""
    inputs, target, weight = cache
    cache_len = inputs.shape[1] if batch_first else inputs.shape[0]
    need = len(rows) * cache_len
    ws: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    total = 0
    n = 1024
    # Each batch is copied into the part's stream at once, so a plain task builds every batch in the
    # same reused memory (see runtime.trials.Scratch), and the stream itself is reused cache after cache.
    plain = isinstance(task, TrialEnv) and not task.info.interactive
    ob_stream = gt_stream = None
    while total < need + len(rows) * (max(lengths[-1].max(), 1) if lengths else 1):
        batch = build(task, rng, n, {}, False, memory[0]) if plain else task.generate(rng, n)
        ob, gt = flatten(batch)
        if weight is not None:
            ws.append(flat_weight(with_weight(task, batch), weight.shape[2:]))
        hint = need + len(rows) * 4 * batch.ob.shape[1]  # enough for the cache (and for the last trials)
        ob_stream = append_rows(memory[1], "ob", ob_stream, ob, total, hint)
        gt_stream = append_rows(memory[1], "gt", gt_stream, gt, total, hint)
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
        stretch = slice(onset, onset + cache_len)
        if batch_first:
            input_items[row], target[row] = ob_items[stretch], gt_stream[stretch]
        else:
            input_items[:, row], target[:, row] = ob_items[stretch], gt_stream[stretch]
        if weight is not None and w_stream is not None:
            if batch_first:
                weight[row] = w_stream[stretch]
            else:
                weight[:, row] = w_stream[stretch]


def append_rows(
    memory: Scratch, role: str, stream: np.ndarray | None, rows: np.ndarray, at: int, hint: int
) -> np.ndarray:
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
