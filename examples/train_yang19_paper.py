"""One network trained on Yang et al. (2019)'s 20 rules as his code defines them (`yang19paper`).

    pip install torch matplotlib
    python examples/train_yang19_paper.py [--minutes 40] [--seed 0] [--log log.json] [--figure curve.png]

Yang's setup (gyyang/multitask, train.py and network.py defaults): a leaky RNN of 256 ReLU
units, h <- (1 - alpha) h + alpha relu(W_in x + W_rec h + b + noise), alpha = dt / tau = 0.2,
recurrent noise N(0, 0.05 sqrt(2 / alpha)), W_in ~ N(0, 1 / 85), W_rec = 0.5 x a random
orthogonal matrix, a sigmoid readout of 33 units (fixation, 32 ring units), Adam with learning
rate 1e-3, batches of 64 trials of one rule each (rules drawn at random, contextdm1 and contextdm2
five times as often, as in his experiment.py), his regression targets (`batch.regression`) and his
loss, the cost mask multiplying the error before squaring (`taskspec.data.losses.yang_loss`).

Every `--eval-every` trials, each rule is scored on `--eval-trials` new trials with Yang's
get_perf (`taskspec.data.losses.yang_performance`); training stops when every rule reaches
`--target` (Yang trains to a criterion, up to 1e7 trials) or after `--minutes` of wall time or
`--max-trials` trials. The log (JSON, `--log`) and the learning curve (PNG, `--figure`) are
rewritten after every evaluation.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import taskspec
from taskspec.data.losses import last_steps, target_angle, yang_loss, yang_performance

RULES = (
    "fdgo",
    "reactgo",
    "delaygo",
    "fdanti",
    "reactanti",
    "delayanti",
    "dm1",
    "dm2",
    "contextdm1",
    "contextdm2",
    "multidm",
    "delaydm1",
    "delaydm2",
    "contextdelaydm1",
    "contextdelaydm2",
    "multidelaydm",
    "dmsgo",
    "dmsnogo",
    "dmcgo",
    "dmcnogo",
)  # Yang's order, as his rule inputs are
RULE_WEIGHT = {"contextdm1": 5.0, "contextdm2": 5.0}  # Yang's rule_prob_map in experiment.py
YANG_BUDGET = 10_000_000  # trials: train.py's max_steps


class LeakyRNN(nn.Module):
    """Yang's LeakyRNN with ReLU units and a sigmoid readout."""

    def __init__(
        self,
        n_input: int = 85,
        n_rnn: int = 256,
        n_output: int = 33,
        alpha: float = 0.2,
        sigma_rec: float = 0.05,
        seed: int = 0,
    ):
        super().__init__()
        rng = np.random.default_rng(seed)
        w_in = rng.standard_normal((n_input, n_rnn)) / np.sqrt(n_input)
        q, r = np.linalg.qr(rng.standard_normal((n_rnn, n_rnn)))
        w_rec = 0.5 * q * np.sign(np.diag(r))  # a random orthogonal matrix, as tools.gen_ortho_matrix
        self.w_in = nn.Parameter(torch.tensor(w_in, dtype=torch.float32))
        self.w_rec = nn.Parameter(torch.tensor(w_rec, dtype=torch.float32))
        self.b = nn.Parameter(torch.zeros(n_rnn))
        self.out = nn.Linear(n_rnn, n_output)  # Glorot-uniform weights, zero bias, as Yang's readout
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.alpha, self.noise = alpha, sigma_rec * np.sqrt(2 / alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, steps, inputs) -> outputs (batch, steps, n_output) in (0, 1)."""
        drive = x @ self.w_in + self.b  # the input part of every step at once
        if self.training:
            drive = drive + torch.randn_like(drive) * self.noise
        h = torch.zeros(x.shape[0], self.w_rec.shape[0])
        states = []
        # unbind, not drive[:, t]: indexing step by step makes the backward pass write a zero tensor
        # of the whole sequence per step (quadratic in the trial's length)
        for drive_t in drive.unbind(1):
            h = (1 - self.alpha) * h + self.alpha * torch.relu(drive_t + h @ self.w_rec)
            states.append(h)
        return torch.sigmoid(self.out(torch.stack(states, 1)))


def batch_tensors(batch: taskspec.runtime.Batch) -> tuple[torch.Tensor, ...]:
    assert batch.regression is not None and batch.weight is not None
    return (
        torch.from_numpy(batch.ob),
        torch.from_numpy(batch.regression),
        torch.from_numpy(batch.weight),
        torch.from_numpy(batch.mask),
    )


def evaluate(net: LeakyRNN, envs: dict[str, object], trials: int, seed: int) -> dict[str, float]:
    """Yang's get_perf per rule, on new trials (inputs with his noise, the network with its noise, as do_eval)."""
    perf = {}
    with torch.no_grad():
        for rule, env in envs.items():
            batch = taskspec.generate_trials(env, trials, seed=seed)
            out = net(torch.from_numpy(batch.ob)).numpy()
            assert batch.regression is not None
            angle = target_angle(last_steps(batch.regression, batch.length))
            perf[rule] = float(yang_performance(last_steps(out, batch.length), angle).mean())
    return perf


def plot(log: dict, path: Path) -> None:
    """The learning curve (every rule, their mean and the worst) beside the last evaluation per rule."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trials = np.array(log["trials"])
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [3, 2]})
    for rule in RULES:
        ax.plot(trials, [p[rule] for p in log["perf"]], lw=0.7, alpha=0.5)
    ax.plot(trials, [np.mean(list(p.values())) for p in log["perf"]], "k", lw=2.5, label="mean of 20 rules")
    ax.plot(trials, [min(p.values()) for p in log["perf"]], "k--", lw=1.5, label="worst rule")
    ax.axhline(0.9, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("trials trained")
    ax.set_ylabel("performance (Yang's get_perf)")
    ax.set_ylim(0, 1.02)
    minutes = log["wall_seconds"] / 60
    ax.set_title(f"{log['trials_total']:,} trials in {minutes:.0f} min ({log['machine']})", fontsize=8)
    ax.legend(loc="lower right", fontsize=8)
    final = log["perf"][-1]
    bars.barh(range(len(RULES)), [final[r] for r in RULES], color="0.5")
    bars.set_yticks(range(len(RULES)), RULES, fontsize=7)
    bars.invert_yaxis()
    bars.axvline(0.9, color="grey", lw=0.8, ls=":")
    bars.set_xlim(0, 1)
    bars.set_xlabel("performance at the last evaluation")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save(log: dict, args: argparse.Namespace, seconds: float, trials: int) -> None:
    log["wall_seconds"] = round(seconds, 1)
    log["trials_total"] = trials
    log["fraction_of_yang_budget"] = trials / YANG_BUDGET
    log["final"] = log["perf"][-1]
    if args.log is not None:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(json.dumps(log, indent=1) + "\n")
    if args.figure is not None:
        plot(log, args.figure)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=40.0)
    parser.add_argument("--max-trials", type=int, default=YANG_BUDGET)
    parser.add_argument("--iterations", type=int, default=None, help="stop after this many batches")
    parser.add_argument("--eval-every", type=int, default=32_000, help="trials between evaluations")
    parser.add_argument("--eval-trials", type=int, default=128)
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", type=Path, default=None, help="where to save the log (JSON)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the default suits a shared machine)")
    parser.add_argument("--figure", type=Path, default=None, help="where to save the learning curve")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    envs = {rule: taskspec.make(f"yang19paper.{rule}") for rule in RULES}
    p = np.array([RULE_WEIGHT.get(r, 1.0) for r in RULES])
    net = LeakyRNN(seed=args.seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    machine = f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.0f} at start, {torch.get_num_threads()} torch thread"
    log: dict = {"trials": [], "seconds": [], "perf": [], "loss": [], "machine": machine}
    start, trials, step, losses = time.time(), 0, 0, []

    def record() -> bool:
        net.eval()
        perf = evaluate(net, envs, args.eval_trials, seed=10_000 + step)
        net.train()
        log["trials"].append(trials)
        log["seconds"].append(round(time.time() - start, 1))
        log["perf"].append(perf)
        log["loss"].append(float(np.mean(losses)) if losses else None)
        losses.clear()
        save(log, args, time.time() - start, trials)  # after every evaluation, so a stopped run keeps its curve
        print(
            f"{trials:9d} trials {time.time() - start:7.0f} s  mean {np.mean(list(perf.values())):.3f}  "
            f"min {min(perf.values()):.3f} ({min(perf, key=perf.get)})",
            flush=True,
        )
        return min(perf.values()) >= args.target

    done = record()
    while not done:
        rule = RULES[rng.choice(len(RULES), p=p / p.sum())]
        x, y, w, mask = batch_tensors(taskspec.generate_trials(envs[rule], args.batch, seed=int(rng.integers(2**63))))
        loss = yang_loss(net(x), y, w, mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        step, trials = step + 1, trials + args.batch
        out_of_time = time.time() - start > 60 * args.minutes or trials >= args.max_trials
        if args.iterations is not None and step >= args.iterations:
            out_of_time = True
        if trials % args.eval_every < args.batch or out_of_time:
            done = record() or out_of_time
    save(log, args, time.time() - start, trials)
    print(json.dumps({"trials": trials, "wall_seconds": log["wall_seconds"], "final": log["final"]}, indent=1))
    return log


if __name__ == "__main__":
    main()
