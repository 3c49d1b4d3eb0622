"""PyTorch adapter: taskspec batches as tensors, so a training loop is three lines.

    from taskspec.torch_data import TorchDataset
    for inputs, target in TorchDataset("PerceptualDecisionMaking", batch_size=64, seq_len=100, seed=0):
        loss = criterion(model(inputs).flatten(0, 1), target.flatten())

Importing this module needs torch (`pip install 'taskspec[torch]'`); the rest of taskspec never
imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import IterableDataset

from .dataset import Dataset


class TorchDataset(IterableDataset):
    """An endless (or `max_batches`-long) stream of (inputs, target) tensors from a `taskspec.Dataset`.

    Tensors share memory with the NumPy batches (no copy). Use it directly, or in a
    `DataLoader(..., batch_size=None)` since it already yields whole batches.
    """

    def __init__(self, task: Any, batch_size: int = 1, seq_len: int | None = None, batch_first: bool = False,
                 seed: int | None = None, max_batches: int | None = None, **params: Any):
        super().__init__()
        self.dataset = Dataset(task, batch_size=batch_size, seq_len=seq_len, batch_first=batch_first, seed=seed,
                               **params)
        self.max_batches = max_batches

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        produced = 0
        while self.max_batches is None or produced < self.max_batches:
            inputs, target = self.dataset()
            yield torch.from_numpy(inputs), torch.from_numpy(target)
            produced += 1
