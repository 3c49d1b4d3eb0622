"""The trial figure: panels, labels, periods and trial bounds, and the rollout it draws."""

import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import taskspec  # noqa: E402
from taskspec.tools.plot import POLICIES, group_ticks, plot_trials, pyplot, rollout, save_plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _ytick_labels(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def test_panels_labels_and_title():
    fig = plot_trials("PerceptualDecisionMaking", trials=3, seed=0)
    assert len(fig.axes) == 5  # period bar, observation, ground truth, action, reward (colorbar is an inset)
    bar, heat, gt_ax, act_ax, rew_ax = fig.axes
    assert len(heat.images) == 1 and heat.images[0].get_array().shape[0] == 3  # one heatmap row per column
    assert _ytick_labels(heat) == ["fixation", "stimulus 1", "stimulus 2"]
    assert _ytick_labels(gt_ax) == _ytick_labels(act_ax) == ["fixation", "choice 1", "choice 2"]
    assert [a.get_ylabel() for a in fig.axes[1:]] == ["observation", "ground truth", "action taken", "reward"]
    assert "time (ms" in rew_ax.get_xlabel()
    title = fig._suptitle.get_text()
    assert "PerceptualDecisionMaking" in title and "ground-truth policy" in title
    texts = {t.get_text() for t in bar.texts}
    assert {"fixation", "stimulus", "decision"} <= texts
    assert "delay" not in texts  # zero-length periods take no space and get no name
    assert sum(t.get_text().startswith("trial ") for t in bar.texts) == 3


def test_trial_bounds_are_vertical_lines():
    r = rollout("GoNogo", trials=4, seed=1)
    fig = plot_trials("GoNogo", trials=4, seed=1)
    gt_ax = fig.axes[2]
    verticals = {line.get_xdata()[0] for line in gt_ax.lines if len(set(line.get_xdata())) == 1}
    assert verticals == {b * r.dt for b in r.bounds[1:-1]}
    assert gt_ax.get_xlim() == (0, r.bounds[-1] * r.dt)


def test_overlapping_periods_keep_the_short_cue_names():
    bar = plot_trials("ReadySetGo", trials=2).axes[0]
    assert {"fixation", "ready", "measure", "set", "production"} <= {t.get_text() for t in bar.texts}


def test_rollout_follows_the_timing_contract():
    r = rollout("PerceptualDecisionMaking", trials=5, seed=3)
    batch = taskspec.generate_trials("PerceptualDecisionMaking", 5, seed=3, chunk_size=64)
    assert r.bounds == [0, *np.cumsum(batch.length).tolist()]
    np.testing.assert_array_equal(r.ob, np.concatenate([o[:n] for o, n in zip(batch.ob, batch.length, strict=True)]))
    np.testing.assert_array_equal(r.gt, np.concatenate([g[:n] for g, n in zip(batch.gt, batch.length, strict=True)]))
    np.testing.assert_array_equal(r.action, r.gt)
    assert r.reward.sum() == 5 and r.performance == [1.0] * 5
    assert r.period[0] == "fixation" and r.period[-1] == "decision"


def test_policies():
    fixate = rollout("PerceptualDecisionMaking", trials=2, policy="fixate")
    assert (fixate.action == 0).all() and fixate.performance == [0.0, 0.0]
    a, b = (rollout("PerceptualDecisionMaking", trials=4, seed=7, policy="random") for _ in range(2))
    np.testing.assert_array_equal(a.action, b.action)
    assert len(set(a.action.tolist())) > 1
    with pytest.raises(ValueError, match="unknown policy"):
        plot_trials("GoNogo", policy="best")


@pytest.mark.parametrize("policy", POLICIES)
def test_every_task_and_policy_saves_a_png(task, policy, tmp_path):
    path = save_plot(tmp_path / "fig.png", task, trials=2, seed=0, policy=policy)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    assert not plt.get_fignums()  # save_plot closes its figure


def test_large_groups_get_one_centred_label():
    ticks, labels = group_ticks({"fixation": 0, "stimulus_mod1": list(range(1, 17)), "mod2": [17, 18]})
    assert labels == ["fixation", "stimulus_mod1", "mod2 1", "mod2 2"]
    assert ticks == [0.0, 8.5, 17.0, 18.0]
    heat = plot_trials("yang19.dm1", trials=1).axes[1]
    assert _ytick_labels(heat) == ["fixation", "stimulus_mod1", "stimulus_mod2"]


def test_steps_axis_params_and_embedding():
    fig = plot_trials("PerceptualDecisionMaking", trials=1, time="steps", params={"dim_ring": 3})
    assert fig.axes[-1].get_xlabel() == "step"
    assert _ytick_labels(fig.axes[1])[-1] == "stimulus 3"
    outer, (left, _) = plt.subplots(1, 2, figsize=(16, 6))
    assert plot_trials("GoNogo", trials=2, ax=left) is outer
    assert len(outer.axes) == 1 + 5


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'taskspec\[plot\]'"):
        pyplot()


def test_cli_plot_and_psychometric(tmp_path, capsys):
    from taskspec.cli import main

    figure = tmp_path / "rsg.png"
    assert main(["plot", "ReadySetGo", "-o", str(figure), "--trials", "2", "--policy", "random"]) == 0
    assert figure.stat().st_size > 10_000
    curve = tmp_path / "psy.png"
    assert main(["psychometric", "PerceptualDecisionMaking", "--variable", "coh", "--trials", "600",
                 "-o", str(curve)]) == 0
    out = capsys.readouterr().out
    assert "logistic fit: bias" in out and curve.stat().st_size > 10_000
    assert main(["psychometric", "GoNogo", "--variable", "coh"]) == 2
    assert main(["plot", "GoNogo", "-o", str(tmp_path / "missing" / "x.png")]) == 2
    assert "Traceback" not in capsys.readouterr().err
