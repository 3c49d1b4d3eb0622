"""The supervised example learns: a shortened run's loss falls clearly."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import train_supervised  # noqa: E402


def test_short_training_run_reduces_the_loss():
    net, losses = train_supervised.train(steps=120, seed=0, log_every=0)
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    assert last < 0.5 * first, (first, last)
    accuracy = train_supervised.accuracy_by_coherence(net, n_trials=500)
    assert set(accuracy) == {0.0, 6.4, 12.8, 25.6, 51.2, -1.0}


def test_torch_dataset_yields_tensors():
    import torch

    from taskspec.data.torch_data import TorchDataset

    batches = list(TorchDataset("DelayMatchSample", batch_size=4, seq_len=40, seed=0, max_batches=3))
    assert len(batches) == 3
    inputs, target = batches[0]
    assert inputs.dtype == torch.float32 and inputs.shape == (40, 4, 3)
    assert target.dtype == torch.int64 and target.shape == (40, 4)
