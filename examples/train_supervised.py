"""Train a small GRU on PerceptualDecisionMaking with supervised learning, then test it.

    pip install torch==2.13.0     # the CPU build on these machines; or: pip install 'taskspec[torch]'
    python examples/train_supervised.py [--steps 1500] [--seed 0]

Batches come from `taskspec.data.torch_data.TorchDataset` (trials back to back, NeuroGym's
layout); the network is scored on fresh trials from `taskspec.generate_trials` by its choice
at each trial's last (decision) step, per coherence level.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

import taskspec
from taskspec.data.torch_data import TorchDataset

TASK = "PerceptualDecisionMaking"


class Net(nn.Module):
    def __init__(self, n_in: int, n_out: int, hidden: int = 64):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (time, batch, n_in) -> (time, batch, n_out)
        return self.out(self.rnn(x)[0])


def train(steps: int, seed: int = 0, log_every: int = 100) -> tuple[Net, list[float]]:
    torch.manual_seed(seed)
    env = taskspec.make(TASK)
    net = Net(env.observation_space.shape[0], env.action_space.n)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()
    losses: list[float] = []
    data = TorchDataset(TASK, batch_size=64, seq_len=100, seed=seed, max_batches=steps)
    for step, (inputs, target) in enumerate(data):
        loss = criterion(net(inputs).flatten(0, 1), target.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1:5d}  loss {np.mean(losses[-log_every:]):.4f}")
    return net, losses


def accuracy_by_coherence(net: Net, n_trials: int = 4000, seed: int = 1) -> dict[float, float]:
    batch = taskspec.generate_trials(TASK, n_trials, seed=seed)
    with torch.no_grad():
        logits = net(torch.from_numpy(np.ascontiguousarray(batch.ob.swapaxes(0, 1))))
    last = batch.length - 1
    choice = logits.argmax(-1).numpy().T[np.arange(n_trials), last]
    correct = choice == batch.gt[np.arange(n_trials), last]
    coh = batch.variables["coh"]
    return {float(c): float(correct[coh == c].mean()) for c in np.unique(coh)} | {-1.0: float(correct.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="training batches of 64 x 100 steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    start = time.perf_counter()
    net, _ = train(args.steps, args.seed)
    accuracy = accuracy_by_coherence(net)
    print(f"trained in {time.perf_counter() - start:.0f} s")
    for coh, acc in accuracy.items():
        label = "all coherences" if coh < 0 else f"coherence {coh:5.1f}%"
        print(f"{label:>20}: decision accuracy {acc:.1%}")


if __name__ == "__main__":
    main()
