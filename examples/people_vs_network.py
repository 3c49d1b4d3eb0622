"""People and networks on one spec: the psychometric curve of a simulated participant, from the log of
the browser experiment, beside a trained network's, on PerceptualDecisionMaking.

    pip install torch==2.13.0 matplotlib 'taskspec[browser]'   # and Chromium: apt-get install chromium
    python examples/people_vs_network.py [--trials 100] [--steps 800] [--out people_vs_network.png]

The participant runs the page `taskspec web` writes, in headless Chromium on Playwright's fake clock.
It is a simulated observer, not a person: at each step it reads the stimulus values the page draws
(the page's session exposes them), adds its own perceptual noise, sums the difference between the two
directions while the stimulus is on, and presses the key of the larger sum when the stimulus goes off
(the decision period). Its log is downloaded as a person's would be, replayed in the Python env (it
must replay with no mismatch) and read with `taskspec.read_human`; the network is the GRU of
examples/train_supervised.py, trained on the same spec. Both go through the same psychometric fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "examples")]
import browser_harness as harness  # noqa: E402

import taskspec  # noqa: E402
from taskspec.tools.analysis import plot_psychometric, psychometric, psychometric_from_model  # noqa: E402
from taskspec.tools.plot import pyplot  # noqa: E402
from taskspec.web.experiment import write_experiment  # noqa: E402
from taskspec.web.replay import replay  # noqa: E402

TASK = "PerceptualDecisionMaking"
SAMPLE_MS = 96  # the participant looks six frames apart: at least once in each step of 100 ms (6 or 7 frames)
NOISE_PER_STEP = 0.55  # the participant's perceptual noise on each step's difference (the display's own is ~0.14)

# What the participant sees: the session's state, trials done, step, and the values drawn now.
VIEW = """(() => { const s = window.taskspecExperiment.session;
  return s ? [s.state, s.log.trials.length, s.k, Array.from(s.obs || [])] : null; })()"""


def run_participant(page, config: dict, rng: np.random.Generator) -> None:
    """Play the page's session to its end as the noisy evidence-summing observer described above."""
    stim = next(g for g in page.evaluate("taskspecExperiment.session.env.observation") if g["name"] == "stimulus")
    first, stop = stim["columns"]
    key_of = {action: key for key, action in config["keys"].items()}
    trial_seen, evidence, steps_seen, answered = -1, 0.0, set(), False
    while True:
        state, trials, step, obs = page.evaluate(VIEW)
        if state == "done":
            return
        if state == "running":
            if trials != trial_seen:
                trial_seen, evidence, steps_seen, answered = trials, 0.0, set(), False
            shown = np.asarray(obs[first:stop])
            if shown.any() and step not in steps_seen:  # the stimulus is on: one sample per step
                steps_seen.add(step)
                evidence += shown[0] - shown[1] + rng.normal(0.0, NOISE_PER_STEP)
            elif steps_seen and not shown.any() and not answered:  # it went off: answer
                page.keyboard.press(key_of[1 if evidence > 0 else 2])
                answered = True
        page.clock.run_for(SAMPLE_MS)


def participant_log(trials: int, seed: int, folder: Path) -> Path:
    write_experiment(TASK, folder / "exp", trials=trials)
    config = json.loads((folder / "exp" / "taskspec-experiment.json").read_text())
    with harness.browser() as context:
        page = harness.open_page(context, folder / "exp" / "index.html", query=f"seed={seed}")
        page.click("#start")
        run_participant(page, config, np.random.default_rng(seed))
        log = harness.download_json(page, "#download-json")
    path = folder / "participant.json"
    path.write_text(json.dumps(log))
    return path


def network_fit(steps: int, trials: int):
    import torch
    from train_supervised import train

    torch.set_num_threads(1)  # on a small shared machine more threads only contend (50 steps: 217 s against 10 s)
    net, _ = train(steps, seed=0, log_every=0)
    batch = taskspec.generate_trials(TASK, trials, seed=1)
    with torch.no_grad():
        logits = net(torch.from_numpy(np.ascontiguousarray(batch.ob.swapaxes(0, 1)))).numpy().swapaxes(0, 1)
    return psychometric_from_model(logits, batch, "coh")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100, help="the participant's trials")
    parser.add_argument("--steps", type=int, default=800, help="the network's training steps")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", default="people_vs_network.png")
    args = parser.parse_args()
    why = harness.missing()
    if why:
        print(f"cannot run the browser experiment: {why}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        path = participant_log(args.trials, args.seed, Path(tmp))
        check = replay(path)
        print(check.summary())
        human = taskspec.read_human(path)
    choices = human.choices("coh")
    person = psychometric(
        choices.x, choices.choice, label="coh (signed by the correct response)", choice_label="second response"
    )
    print(
        f"participant: {len(choices.x)} answered trials of {len(human.choice)}, "
        f"{choices.correct.mean():.1%} correct, bias {person.bias:.2f}, scale {person.scale:.2f}"
    )
    network = network_fit(args.steps, 4000)
    print(f"network: bias {network.bias:.2f}, scale {network.scale:.2f}")
    fig, axes = pyplot().subplots(1, 2, figsize=(10, 3.8), layout="constrained", sharey=True)
    plot_psychometric(person, axes[0], title="simulated participant (browser log)")
    plot_psychometric(network, axes[1], title=f"GRU trained {args.steps} steps")
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")
    return 0 if check.equal else 1


if __name__ == "__main__":
    sys.exit(main())
