"""PyTorch adapter: taskspec batches as tensors, so a training loop is three lines.

    from taskspec.data.torch_data import TorchDataset
    for inputs, target in TorchDataset("PerceptualDecisionMaking", batch_size=64, seq_len=100, seed=0):
        loss = criterion(model(inputs).flatten(0, 1), target.flatten())

In a `DataLoader(ds, batch_size=None, num_workers=n)` every worker draws its own stream
(worker w of n: `SeedSequence(seed).spawn(n)[w]`) and `max_batches` is split between the
workers, so no batch is repeated and the loader yields `max_batches` batches in all, under
the fork, spawn and forkserver start methods alike.

Importing this module needs torch (`pip install 'taskspec[torch]'`); the rest of taskspec never
imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import IterableDataset, get_worker_info

from .dataset import Dataset


class TorchDataset(IterableDataset):
    """An endless (or `max_batches`-long) stream of (inputs, target) tensors from a `taskspec.Dataset`.

    Tensors share memory with the NumPy batches (no copy). Use it directly, or in a
    `DataLoader(..., batch_size=None)` since it already yields whole batches. `task` may be a
    mix of tasks (see `taskspec.data.multitask`); with `weights=True` a third tensor holds the loss
    weights of the spec's `loss:` key (see `taskspec.Dataset`).
    """

    def __init__(
        self,
        task: Any,
        batch_size: int = 1,
        seq_len: int | None = None,
        batch_first: bool = False,
        seed: int | None = None,
        max_batches: int | None = None,
        weights: bool = False,
        **params: Any,
    ):
        super().__init__()
        if max_batches is not None and max_batches < 0:
            raise ValueError(f"max_batches must be at least 0, got {max_batches}")
        self.dataset = Dataset(
            task, batch_size=batch_size, seq_len=seq_len, batch_first=batch_first, seed=seed, weights=weights, **params
        )
        self.max_batches = max_batches

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        count = self.max_batches
        info = get_worker_info()
        if count is not None and info is not None:  # this worker's share; the first ones take the remainder
            count = count // info.num_workers + (info.id < count % info.num_workers)
        produced = 0
        while count is None or produced < count:
            # A batch is a view of the Dataset's whole cache; in a worker it is copied, so only the batch (not
            # the cache behind it) travels to the main process.
            yield tuple(torch.from_numpy(a.copy() if info is not None else a) for a in self.dataset())
            produced += 1
