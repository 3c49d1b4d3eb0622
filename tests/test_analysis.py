"""Psychometric fits recover known curves; simulated and model choices give proper curves."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import taskspec  # noqa: E402
from taskspec.tools.analysis import (  # noqa: E402
    _cdf,
    chronometric,
    model_choices,
    plot_psychometric,
    psychometric,
    psychometric_from_model,
    rollout_choices,
)

BIAS, SCALE = 0.1, 0.2


def _synthetic(fit, n=20_000, seed=0, lapses=(0.0, 0.0)):
    rng = np.random.default_rng(seed)
    x = rng.choice(np.linspace(-0.6, 0.8, 15), n)
    p = lapses[0] + (1 - sum(lapses)) * _cdf((x - BIAS) / SCALE, fit)[0]
    return x, (rng.random(n) < p).astype(int)


@pytest.mark.parametrize("fit", ["logistic", "probit"])
def test_fit_recovers_bias_and_scale(fit):
    x, choice = _synthetic(fit)
    result = psychometric(x, choice, fit=fit)
    assert result.bias == pytest.approx(BIAS, rel=0.1)
    assert result.scale == pytest.approx(SCALE, rel=0.1)
    assert result.predict(result.bias) == pytest.approx(0.5)
    assert result.lapse_low == result.lapse_high == 0


def test_the_right_link_fits_better():
    x, choice = _synthetic("probit", n=50_000)
    probit, logistic = psychometric(x, choice, fit="probit"), psychometric(x, choice, fit="logistic")
    assert probit.log_likelihood > logistic.log_likelihood
    assert logistic.scale == pytest.approx(SCALE / 1.7, rel=0.1)  # a logistic is a probit with 1.7x the scale
    with pytest.raises(ValueError, match="logistic"):
        psychometric(x, choice, fit="weibull")


def test_probit_cdf_is_accurate():
    from math import erfc, sqrt

    z = np.linspace(-6, 6, 241)
    exact = np.array([0.5 * erfc(-v / sqrt(2)) for v in z])
    np.testing.assert_allclose(_cdf(z, "probit")[0], exact, atol=1e-7)


def test_lapses_are_recovered():
    x, choice = _synthetic("logistic", n=40_000, seed=1, lapses=(0.05, 0.1))
    x = np.concatenate([x, np.full(4000, -2.0), np.full(4000, 2.0)])  # far levels pin the asymptotes
    choice = np.concatenate([choice, np.random.default_rng(2).random(8000) < np.repeat([0.05, 0.9], 4000)])
    result = psychometric(x, choice.astype(int), lapses=True)
    assert result.lapse_low == pytest.approx(0.05, abs=0.015)
    assert result.lapse_high == pytest.approx(0.1, abs=0.015)
    assert result.bias == pytest.approx(BIAS, rel=0.15) and result.scale == pytest.approx(SCALE, rel=0.15)


def test_probabilities_counts_and_errors_per_level():
    result = psychometric([1, -1, 0, 0.0, -0.0, -1], [1, 0, 1, 1, 0, 1])
    np.testing.assert_array_equal(result.x, [-1, 0, 1])  # -0.0 and 0.0 are one level
    np.testing.assert_array_equal(result.n, [2, 3, 1])
    np.testing.assert_allclose(result.p, [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(result.se, [np.sqrt(0.25 / 2), np.sqrt(2 / 9 / 3), 0.0])
    assert "P(choice 1)" in result.table()
    with pytest.raises(ValueError, match="0 or 1"):
        psychometric([0, 1], [0, 2])
    with pytest.raises(ValueError, match="same"):
        psychometric([0, 1], [0])


def test_perfectly_separated_choices_stay_finite():
    x = np.repeat([-2.0, -1.0, 1.0, 2.0], 500)
    result = psychometric(x, (x > 0).astype(int))
    assert np.isfinite(result.scale) and 0 < result.scale < 0.5
    assert abs(result.bias) < 0.05


def test_rollout_gives_a_psychometric_curve():
    choices = rollout_choices("PerceptualDecisionMaking", "coh", trials=4000, seed=0, noise=10.0)
    result = psychometric(choices.x, choices.choice, label=choices.label)
    np.testing.assert_allclose(result.x, [-51.2, -25.6, -12.8, -6.4, 0, 6.4, 12.8, 25.6, 51.2])
    assert np.all(np.diff(result.p) > 0)
    assert result.p[4] == pytest.approx(0.5, abs=0.06)
    assert abs(result.bias) < 1.5 and result.scale == pytest.approx(10.0, rel=0.15)
    assert choices.choice_label == "choice 2"  # choice 1 is the group's second option, choice[1]
    signed = choices.x != 0
    assert np.array_equal(choices.choice[signed] == 1, (choices.x[signed] > 0) == choices.correct[signed])
    assert (choices.choice_time == 2100).all()  # fixation 100 + stimulus 2000 ms


def test_rollout_errors_and_random_policy():
    with pytest.raises(ValueError, match="two response actions; GoNogo has 1"):
        rollout_choices("GoNogo", "ground_truth")
    with pytest.raises(ValueError, match="did you mean 'coh'"):
        rollout_choices("PerceptualDecisionMaking", "cho")
    flat = rollout_choices("PerceptualDecisionMaking", "coh", trials=2000, policy="random")
    assert flat.choice.mean() == pytest.approx(0.5, abs=0.05) and flat.correct.mean() == pytest.approx(0.5, abs=0.05)
    dms = rollout_choices("DelayMatchSample", "sample_theta", trials=50)
    assert dms.choice_label == "non-match"


def test_model_choices_read_the_last_step():
    batch = taskspec.generate_trials("PerceptualDecisionMaking", 20_000, seed=1)
    n, steps = batch.gt.shape
    rng = np.random.default_rng(0)
    last = batch.length - 1
    sign = np.where(batch.gt[np.arange(n), last] == 2, 1.0, -1.0)
    outputs = np.zeros((n, steps, 3), np.float32)
    outputs[:, :, 1] = 5.0  # a strong wrong answer everywhere but at the last step
    evidence = sign * batch.variables["coh"] / 8.0 + rng.logistic(size=n)  # P(choice 2) = logistic(x / 8)
    outputs[np.arange(n), last, 1] = 0.0
    outputs[np.arange(n), last, 2] = evidence
    x, choice = model_choices(outputs, batch, "coh")
    np.testing.assert_array_equal(x, sign * batch.variables["coh"] + 0.0)
    result = psychometric_from_model(outputs, batch, "coh")
    assert result.scale == pytest.approx(8.0, rel=0.1) and abs(result.bias) < 0.8
    torch = pytest.importorskip("torch")
    assert psychometric_from_model(torch.from_numpy(outputs), batch, "coh").bias == result.bias
    with pytest.raises(ValueError, match="outputs must be"):
        model_choices(outputs[:10], batch, "coh")


def test_chronometric_means_per_strength():
    result = chronometric([-0.5, 0.5, 0.1, -0.1, 0.1], [300, 500, 800, 900, 1000])
    np.testing.assert_allclose(result.strength, [0.1, 0.5])
    np.testing.assert_allclose(result.mean, [900, 400])
    np.testing.assert_array_equal(result.n, [3, 2])
    np.testing.assert_allclose(result.se, [np.sqrt(100**2 / 3), np.sqrt(100**2 * 2 / 2)])


def test_plot_psychometric():
    choices = rollout_choices("PerceptualDecisionMaking", "coh", trials=500, seed=0)
    fit = psychometric(choices.x, choices.choice, label=choices.label, choice_label=choices.choice_label)
    fig = plot_psychometric(fit, title="PerceptualDecisionMaking")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "P(choice 2)" and ax.get_xlabel().startswith("coh")
    assert any("bias" in t.get_text() for t in ax.texts)
    xs, ps = ax.lines[2].get_data()  # after the two reference lines: the fitted curve
    np.testing.assert_allclose(ps, fit.predict(xs))
    plt.close(fig)


def test_accumulating_agent_gives_a_chronometric_curve_on_the_reaction_time_task():
    from taskspec.tools import analysis

    choices = analysis.rollout_choices("PerceptualDecisionMakingRT", "coh", trials=800, seed=3, policy="accumulate")
    chrono = analysis.chronometric(choices.x, choices.choice_time)
    assert list(chrono.strength) == [0.0, 6.4, 12.8, 25.6, 51.2]
    assert np.all(np.diff(chrono.mean) < 0)  # stronger evidence, faster decisions
    strong = np.abs(choices.x) > 20
    assert choices.correct[strong].mean() > 0.95
