"""The yang19paper family against Yang et al. (2019)'s own generator (gyyang/multitask task.py).

`tests/data/yang19paper/reference.json` holds statistics of 2,000 trials per rule drawn from
Yang's code with his default hyperparameters (dt 20); `tests/data/yang19paper/measure.py` made
it (it is not run here). Both sides are summarised by the same function,
`tests/yang_paper_stats.py`, from the arrays a network sees: noise-free inputs, regression
targets, the cost mask and the epochs. A mean must agree within 4.5 combined standard errors
(ours from a fixed-seed batch, so the check is deterministic); a statistic with no spread on
either side (e.g. the 500 ms response epoch, the cost mask's 20 steps of weight 5) must agree
exactly.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from yang_paper_stats import summarise, trial_statistics, two_stimuli

import taskspec

REFERENCE = json.loads((Path(__file__).resolve().parent / "data" / "yang19paper" / "reference.json").read_text())
RULES = list(REFERENCE["rules"])
N = 400  # our trials per rule: enough for every statistic's tolerance, a second or two per rule
Z = 4.5


@cache
def our_statistics(rule: str) -> dict[str, dict[str, float]]:
    batch = taskspec.generate_trials(f"yang19paper.{rule}", N, seed=7, sigma_x=0.0)
    assert batch.regression is not None and batch.weight is not None
    rows = []
    for i in range(N):
        steps = int(batch.length[i])
        bounds = {p: (int(batch.start[p][i]), int(batch.end[p][i])) for p in batch.start}
        row = trial_statistics(
            batch.ob[i, :steps],
            batch.regression[i, :steps],
            batch.weight[i, :steps],
            {p: b - a for p, (a, b) in bounds.items()},
        )
        if rule.startswith(("dms", "dmc")):
            row.update(two_stimuli(batch.ob[i, :steps], bounds))
        rows.append(row)
    return summarise(rows)


def test_the_family_is_yangs_20_rules_in_his_order():
    assert sorted(taskspec.list_tasks(tag="yang19paper")) == sorted(f"yang19paper.{r}" for r in RULES)
    for index, rule in enumerate(
        [
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
        ]
    ):
        env = taskspec.make(f"yang19paper.{rule}")
        assert env.params["rule_index"] == index
        assert env.observation_space.shape == (85,) and env.action_space.n == 33
        assert env.dt == 20


@pytest.mark.parametrize("rule", RULES)
def test_statistics_match_yangs_generator(rule):
    theirs, ours = REFERENCE["rules"][rule], our_statistics(rule)
    assert set(ours) == set(theirs), f"statistics only one side has: {set(ours) ^ set(theirs)}"
    problems = []
    for key, ref in theirs.items():
        got = ours[key]
        se = math.sqrt(ref["sd"] ** 2 / ref["n"] + got["sd"] ** 2 / got["n"])
        gap = abs(got["mean"] - ref["mean"])
        if se == 0 and gap > 1e-6 * max(1.0, abs(ref["mean"])):
            problems.append(f"{key}: {got['mean']:.6g} where Yang's is always {ref['mean']:.6g}")
        elif se > 0 and gap > Z * se:
            problems.append(f"{key}: {got['mean']:.4g} vs Yang's {ref['mean']:.4g} ({gap / se:.1f} standard errors)")
    assert not problems, problems


def test_input_noise_is_yangs_on_every_input():
    """N(0, sigma_x sqrt(2 / alpha)) = 0.0316 on each of the 85 inputs at every step, as Yang's add_x_noise."""
    noisy = taskspec.generate_trials("yang19paper.dmsgo", 200, seed=5)
    clean = taskspec.generate_trials("yang19paper.dmsgo", 200, seed=5, sigma_x=0.0)
    noise = (noisy.ob - clean.ob)[noisy.mask]
    assert noise.std() == pytest.approx(REFERENCE["input_noise_sd"], rel=0.02)
    assert noise.std(axis=0).min() > 0.9 * REFERENCE["input_noise_sd_per_column_min"]
    assert not (noisy.ob - clean.ob)[~noisy.mask].any()  # padding stays silent


@pytest.mark.parametrize("rule", ["fdgo", "reactgo", "dm1", "delaydm1", "dmsnogo", "dmcgo"])
def test_targets_and_cost_mask_take_yangs_values(rule):
    """Regression targets: fixation 0.8 until the go cue then 0.05 (0.8 throughout on a no-go trial);
    ring 0.05 plus a 0.8 bump at the response angle. Cost mask: 0, 1 and 5 (doubled on fixation)."""
    batch = taskspec.generate_trials(f"yang19paper.{rule}", 64, seed=2)
    real = batch.mask
    assert batch.regression is not None and batch.weight is not None
    fix = batch.regression[..., 0][real]
    np.testing.assert_allclose(np.unique(fix.round(6)), [0.05, 0.8])
    ring = batch.regression[..., 1:][real]
    assert ring.min() == pytest.approx(0.05) and ring.max() <= 0.85 + 1e-6
    go1 = batch.start["go1"]
    for i in range(64):
        steps = int(batch.length[i])
        w = batch.weight[i, :steps]
        expected = np.ones(steps)
        expected[:5] = 0  # Yang never checks the first 100 ms
        expected[go1[i] : go1[i] + 5] = 0  # nor the first 100 ms after the go cue
        expected[go1[i] + 5 :] = 5
        np.testing.assert_array_equal(w[:, 1:], np.repeat(expected[:, None], 32, 1))
        np.testing.assert_array_equal(w[:, 0], 2 * expected)


def test_a_mix_has_yangs_85_input_layout_with_rules_in_his_order():
    from taskspec.data.multitask import TaskMix

    mix = TaskMix("yang19paper", rule_input=False)  # each spec shows its own rule unit
    names = mix.observation_space.name
    assert list(names) == ["fixation", "stimulus_mod1", "stimulus_mod2", "rule"]
    assert list(np.atleast_1d(names["rule"])) == list(range(65, 85))
    batch = taskspec.generate_trials(mix, 200, seed=0)
    rule_of_task = {j: int(taskspec.make(n).params["rule_index"]) for j, n in enumerate(mix.names)}
    shown = batch.ob[:, 0, 65:85].argmax(axis=1)
    assert all(shown[i] == rule_of_task[int(t)] for i, t in enumerate(batch.variables["task"]))
    assert batch.regression is not None and batch.regression.shape == (200, batch.ob.shape[1], 33)
