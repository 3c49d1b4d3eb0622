"""A 2-down-1-up coherence staircase run by a simulated observer, and its figure.

The observer answers correctly with a Weibull probability of the coherence; the bundled
task `perceptualdecisionmaking.staircase` lowers the coherence after two correct answers in a
row and raises it after an error. The staircase settles where the observer is right on 70.7%
of trials. Run: python examples/staircase.py [--trials 3000] [--out docs/figures/staircase.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import taskspec
from taskspec.tools.plot import pyplot


def run(trials: int, seed: int = 0, threshold: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """Coherence and correctness of each trial the observer answers."""
    env = taskspec.make("perceptualdecisionmaking.staircase")
    env.reset(seed=seed)
    rng = np.random.default_rng(seed + 1)
    fixation = env.action_index["fixation"]
    cohs, correct = [], []
    coh = env.trial["coh"]
    while len(cohs) < trials:
        action = env.gt_now
        if action != fixation:  # a decision step: right with the observer's probability
            p_right = 1 - 0.5 * np.exp(-((coh / threshold) ** 1.5))
            action = action if rng.random() < p_right else 3 - action
        _, _, _, _, info = env.step(action)
        if info["new_trial"]:
            cohs.append(coh)
            correct.append(info["performance"])
            coh = env.trial["coh"]
    return np.array(cohs), np.array(correct)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3000)
    parser.add_argument("--out", default="staircase.png")
    args = parser.parse_args()
    cohs, correct = run(args.trials)
    settled = correct[len(correct) // 6 :]
    print(f"{len(correct)} trials; correct after the first sixth: {settled.mean():.3f} (the target is 0.707)")
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True)
    top.semilogy(cohs, lw=0.8)
    top.set_ylabel("coherence (%)")
    top.set_title("2-down-1-up staircase, simulated observer")
    window = 100
    running = np.convolve(correct, np.ones(window) / window, mode="valid")
    bottom.plot(np.arange(window - 1, len(correct)), running, lw=0.8)
    bottom.axhline(0.707, color="k", ls="--", lw=0.8)
    bottom.set_ylabel(f"correct (last {window})")
    bottom.set_xlabel("trial")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
