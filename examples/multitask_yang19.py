"""One GRU trained on the 20 yang19 tasks at once (Yang et al. 2019), from one mixed batch source.

    pip install torch==2.13.0
    python examples/multitask_yang19.py [--steps 1500] [--batch 64] [--hidden 128] [--seed 0]

`taskspec.generate_trials("yang19", ...)` gives each batch: trials of the 20 tasks drawn
uniformly, their observations aligned column for column (the family shares one set of group
names), a one-hot rule input (group `rule`) telling the network which task it is doing, and
the loss weights the specs declare (`loss:`: Yang et al.'s cost mask, with 0 for the first
100 ms and for 100 ms after the go cue, 5 for the response, and the fixation output counted
twice). The network is trained with Yang's loss (`taskspec.data.losses.yang_loss`: the cost mask
multiplies the error before squaring, so the response counts 25 times and the fixation output
4 times) on a one-hot of the ground truth; these are NeuroGym's versions of his tasks, with
class labels (`examples/train_yang19_paper.py` trains on his own tasks and targets). At the
end it prints each task's accuracy on new trials (the action at the last step of the trial,
argmax of the outputs, equals the ground truth) and the wall time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

import taskspec
from taskspec.data.losses import yang_loss
from taskspec.data.multitask import TaskMix


class Net(nn.Module):
    def __init__(self, inputs: int, hidden: int, outputs: int):
        super().__init__()
        self.gru = nn.GRU(inputs, hidden, batch_first=True)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.gru(x)[0])


def accuracy(net: Net, mix: TaskMix, trials: int, seed: int) -> dict[str, float]:
    """Per task: the fraction of trials whose last step's argmax output equals the ground truth there."""
    batch = taskspec.generate_trials(mix, trials, seed=seed)
    with torch.no_grad():
        out = net(torch.from_numpy(batch.ob)).argmax(-1).numpy()
    last = batch.length - 1
    rows = np.arange(len(last))
    right = out[rows, last] == batch.gt[rows, last]
    task = batch.variables["task"]
    return {name: float(right[task == j].mean()) for j, name in enumerate(mix.names) if np.any(task == j)}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-trials", type=int, default=2000)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    mix = TaskMix("yang19")  # uniform over the family, one-hot rule input
    actions = int(mix.action_space.n)
    net = Net(mix.observation_space.shape[0], args.hidden, actions)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    for step in range(args.steps):
        batch = taskspec.generate_trials(mix, args.batch, seed=args.seed * 1_000_003 + step)
        x = torch.from_numpy(batch.ob)
        target = nn.functional.one_hot(torch.from_numpy(batch.gt), actions).float()
        weight = torch.from_numpy(batch.weight)  # (n, T, actions): the cost mask, 0 on padding
        loss = yang_loss(net(x), target, weight, torch.from_numpy(batch.mask))  # mask x error, then squared
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 250 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {loss.item():.4f}", flush=True)
    scores = accuracy(net, mix, args.eval_trials, seed=10**9 + args.seed)
    for name, score in scores.items():
        print(f"{name:20s} {score:.2f}")
    print(f"mean accuracy {np.mean(list(scores.values())):.2f} over {len(scores)} tasks")
    print(f"wall time {time.perf_counter() - started:.0f} s ({args.steps} batches of {args.batch})")
    return scores


if __name__ == "__main__":
    main()
